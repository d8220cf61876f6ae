"""Policy memory: procedural rules learned from events and outcomes, or stated by the user as constraints.

    engine = PolicyEngine(service)            # app.policies in the server
    engine.propose("me", "the deploy of search failed")
    engine.record_outcome("me", "success", proposal_id=...)
    engine.check("me", "deploy the api to production", now=friday)
    learn(engine, "me")                       # the sleep job `policies` and `reverie policy learn`
"""

from server.policy.engine import PolicyEngine
from server.policy.learn import learn, learn_policies, sleep_job
from server.policy.models import CheckResult, OutcomeResult, Policy, ProposeResult

JOB = "policies"


def register_policy_job() -> None:
    """Add policy learning to every sleep run (server.sleep.register_job); a no-op without the sleep package."""
    try:
        from server.sleep import register_job
    except ImportError:
        return
    register_job(JOB, sleep_job, "Learn policies from events and outcomes; promote, demote and retire them.")


__all__ = ["CheckResult", "OutcomeResult", "Policy", "PolicyEngine", "ProposeResult", "learn", "learn_policies", "register_policy_job", "sleep_job"]
