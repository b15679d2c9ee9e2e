"""The offline demo: a generated sample web on 127.0.0.1 and a two-quarter story against it."""

# Imported as `demo` with the repository root on sys.path: refuse to load a second copy.
if __name__ != "clusterradar.demo":
    raise ImportError(
        "import clusterradar.demo, not demo: "
        "the stage folders install as subpackages of clusterradar"
    )
