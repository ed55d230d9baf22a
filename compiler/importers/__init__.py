"""Importers: bring an existing docker-compose file or AWS Copilot workspace into a stack.yaml.

Each importer reads its input with positions kept (`source.SourceFile`), builds a commented
stack (`stackdoc.StackDoc`, every entry saying which file:line it came from) and records
everything it could not carry over in a `report.ImportReport` (text and JSON, with file:line:col).
`check.validate` runs the result through `infracc validate` so the user sees what is left to decide.
"""
