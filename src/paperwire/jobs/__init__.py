"""Reserved layer (see ARCHITECTURE.md); filled by later issues."""
