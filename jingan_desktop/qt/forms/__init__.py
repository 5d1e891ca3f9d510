"""Generated Qt Designer forms (see build_scripts/compile_forms.py)."""
