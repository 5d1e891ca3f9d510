"""The Qt (PySide6) desktop UI. Widgets here hold no SQL and no progress arithmetic:
they call :mod:`jingan_desktop.workspace` and show what it answers.

    app.py          the composition root: the app, a screenshot, the self-check
    application.py  the QApplication (font, translations, settings, crash handler)
    main_window.py  MainWindow: builds the widgets, creates the controllers, hands each
                    opened file to every part (set_workspace)
    commands.py     every action (shortcut, menu entry) and when it is enabled
    controllers/    what the window does, one concern each (files, shared_file, editing,
                    structure, quarters, navigation, outputs), reached as window.<concern>
    views/          the widgets and models: tree model, delegates, detail panel, warnings,
                    history, charts
    dialogs/        one dialog a module (departments, merge preview, restore, conflict,
                    Excel import, the import review of a plan document)
    messages.py     errors as Chinese messages; display.py  values as the window shows them
    undo.py         the undo stack of edits; fonts.py  the bundled CJK font
    forms/          generated from ui/*.ui by build_scripts/compile_forms.py (do not edit)

Where a new thing goes: a dialog in dialogs/, opened by the controller of its concern; a panel
in views/, added as a tab in ``MainWindow._build_tabs``; a command in commands.py with its
slot on a controller; a new concern in a new controllers/ module (see its ``__init__``).
Who may import whom inside qt/ is checked in tests/test_architecture.py.
"""
