"""crawler stage."""

# Imported as `crawler` with the repository root on sys.path: refuse to load a second copy.
if __name__ != "clusterradar.crawler":
    raise ImportError(
        "import clusterradar.crawler, not crawler: "
        "the stage folders install as subpackages of clusterradar"
    )
