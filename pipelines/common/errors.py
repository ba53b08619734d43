"""Errors that a stage turns into a clear message and a non-zero exit code."""


class PipelineError(Exception):
    """A failure the user can act on (bad input, bad parameter, bad data)."""


class ParamError(PipelineError):
    """A parameter in params.yaml is missing or invalid; the message names it."""

    def __init__(self, name: str, problem: str):
        self.name = name
        self.problem = problem
        super().__init__(f"params.yaml: {name}: {problem}")


class DataError(PipelineError):
    """Input data is malformed, empty or inconsistent; the message says what and where."""
