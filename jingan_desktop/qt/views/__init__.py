"""The widgets and models the main window is built from: the plan tree (tree_model, delegates,
validators) and the side tabs (detail_panel, warnings_list, history_view, charts_tab).

A view shows a workspace and emits signals; it does not open dialogs about the file or call
other parts of the window. A new panel: a widget here, its tab in ``MainWindow._build_tabs``,
and, if it follows the current row, a call in ``NavigationController.refresh_side_panels``.
"""
