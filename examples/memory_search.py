"""Long-term memory in a SQLite file, searched by the sqlite-vec extension when it loads.

    python examples/memory_search.py

`SQLMemoryStore` picks its search backend when it is made: ``sqlite-vec`` on a
SQLite file when ``pip install 'agentkit[sqlite-vec]'`` is there, ``pgvector``
on a PostgreSQL server that has it, else an exact numpy scan; ``store.backend``
says which. Every backend is exact, so the numpy store below, on the same
database, finds the same memories with the same scores. The embedder is the
offline `HashEmbedder`; with a real one: ``OpenAIEmbedder("text-embedding-3-small")``.
"""

from __future__ import annotations

import asyncio
import tempfile

from agentkit.memory import Memory, SQLMemoryStore
from agentkit.models import HashEmbedder

FACTS = {
    "tea": ("Ada loves green tea.", {"topic": "taste"}),
    "team": ("Ada works on the compiler team.", {"topic": "work"}),
    "deploy": ("The deploy runs every Friday at noon.", {"topic": "work"}),
    "coffee": ("Bob drinks his coffee black.", {"topic": "taste"}),
}


async def main() -> list[Memory]:
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/memories.db"
        memories = SQLMemoryStore(url, HashEmbedder())
        for key, (text, metadata) in FACTS.items():
            await memories.put("ada", key, text, metadata)
        found = await memories.search("ada", "Which tea does Ada love?", 2, {"topic": "taste"})
        scan = SQLMemoryStore(memories.store, HashEmbedder(), backend="numpy")
        same = await scan.search("ada", "Which tea does Ada love?", 2, {"topic": "taste"})
        memories.store.close()
    print(f"backend: {memories.backend}")
    for memory in found:
        print(f"{memory.score:.3f} {memory.key}: {memory.text}")
    agree = [m.key for m in same] == [m.key for m in found]
    print(f"numpy scan agrees: {agree}")
    return found


if __name__ == "__main__":
    asyncio.run(main())
