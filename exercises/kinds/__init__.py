"""One module per exercise kind: its tables, its form, and its `SPEC` (a `KindSpec`): the
words, the template fragment, and the hooks generic code asks. See `exercises/registry.py` for
how to add a kind."""
