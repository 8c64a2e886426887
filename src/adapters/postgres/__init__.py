"""PostgreSQL through SQLAlchemy Core on asyncpg."""
