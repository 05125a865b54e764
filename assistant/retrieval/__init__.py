"""From a question to ranked, highlighted passages: the question parsed once, candidates, evidence
terms and the score.
"""
