"""CRAB: constraint back-translation, verifiable constraints, IFEval and FollowBench scoring."""

__all__: list[str] = []
