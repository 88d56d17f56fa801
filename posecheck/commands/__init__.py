"""Command-line subcommands. Each module here defines ``add_parser`` and ``run``.

``add_parser(subparsers)`` registers the subcommand (setting ``func=run`` as
its default); ``run(args) -> int`` returns the exit code. The CLI imports
every module in this package, so adding a command is adding a file.
"""
