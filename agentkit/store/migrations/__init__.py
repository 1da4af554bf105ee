"""Alembic migrations of agentkit's tables (``agentkit db upgrade`` applies them)."""
