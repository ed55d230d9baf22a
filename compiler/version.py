from importlib.metadata import PackageNotFoundError, version

try:
    VERSION = version("infracc")
except PackageNotFoundError:  # running from a source tree
    VERSION = "0.0.0"
