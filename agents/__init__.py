"""Agent definitions (Claude Code subagents) shipped with infracc; `infracc agent install` copies
them to where Claude Code reads them (`.claude/agents/` of a project, or `~/.claude/agents/`)."""
