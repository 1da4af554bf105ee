"""llama.cpp's OpenAI-compatible server on 127.0.0.1, in its own process.

``python -m tests.integration.llama_server MODEL.gguf --ctx N --template T.jinja``
loads the model with xllamacpp (llama.cpp's server, prebuilt), listens on a
free loopback port, prints one line ``{"url": "http://127.0.0.1:PORT"}`` once
it serves, and runs until SIGTERM or SIGINT. A separate process, so that a
crash in native code cannot take pytest down with it.

Everything that decides what the model generates is fixed here: two threads
(results must not depend on how many cores the machine has), no prompt cache
(a reused cache may change the arithmetic, hence greedy picks, between runs),
one slot, a fixed seed.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
from pathlib import Path

MODEL_ALIAS = "gemma-3-270m"


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="llama_server")
    parser.add_argument("model", type=Path)
    parser.add_argument("--ctx", type=int, required=True, help="context window in tokens")
    parser.add_argument("--template", type=Path, required=True, help="Jinja chat template")
    args = parser.parse_args(argv)

    import xllamacpp  # type: ignore[import-untyped]  # a native module without stubs

    params = xllamacpp.CommonParams()
    params.model.path = str(args.model)
    params.model_alias = {MODEL_ALIAS}
    params.hostnames = ["127.0.0.1"]
    params.port = 0  # the OS picks a free port; listening_address says which
    params.n_ctx = args.ctx
    params.n_parallel = 1
    params.chat_template = args.template.read_text(encoding="utf-8")
    params.use_jinja = True
    params.cache_prompt = False
    params.warmup = False
    params.endpoint_metrics = True
    params.cpuparams.n_threads = 2
    params.cpuparams_batch.n_threads = 2
    params.sampling.seed = 42
    params.verbosity = 2  # warnings and errors; the test harness keeps the log

    stop = {signal.SIGTERM, signal.SIGINT}
    signal.pthread_sigmask(signal.SIG_BLOCK, stop)  # before the server's threads start
    server = xllamacpp.Server(params)
    print(json.dumps({"url": server.listening_address}), flush=True)
    signal.sigwait(stop)


if __name__ == "__main__":
    main(sys.argv[1:])
