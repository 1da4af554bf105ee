"""agentkit's own eval suites (see README.md); the framework is `agentkit.evals`."""
