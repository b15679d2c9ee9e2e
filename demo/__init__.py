"""The offline demo: a generated sample web on 127.0.0.1 and a two-quarter story against it."""
