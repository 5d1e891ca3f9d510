"""The pure-Python core: no Qt is imported anywhere below this package."""
