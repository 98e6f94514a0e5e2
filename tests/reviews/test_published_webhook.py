"""A publication after review reaches another organisation's webhook endpoint as a signed `record.published`
event that verifies with an implementation independent of coplab's (the `standardwebhooks` package), sent
by the real server's delivery worker; the drafting, submitting and reviewing before it send nothing."""

from standardwebhooks import Webhook

from tests.factories import mutate
from tests.reviews.workflow import cast, draft_input, grant_reviewers, reviewed, step
from tests.webhooks.conftest import ENDPOINT, api, quick_settings  # noqa: F401  (fixtures)
from tests.webhooks.receiver import receiving, wait_for


def test_another_organisation_receives_a_signed_record_published(api, make, db) -> None:  # noqa: ANN001, F811
    c = cast(make, db)
    grant_reviewers(api, c)
    with receiving() as receiver:
        endpoint = mutate(
            api, "createWebhookEndpoint", {"url": receiver.url, "eventTypes": ["record.published", "record.created"]},
            c.outsider, f"{ENDPOINT} secret",
        )
        assert endpoint["userErrors"] == []
        revision_id = step(api, "draftEvidenceAssessment", draft_input(c.initiative), c.author)["revision"]["id"]
        assert reviewed(api, c, revision_id)["state"] == "RECONCILIATION"
        published = step(api, "publishRevision", {"revision": revision_id}, c.secretariat, "evidenceAssessment { id }")
        assert published["userErrors"] == []

        wait_for(lambda: len(receiver.requests()) >= 1, what="the delivery")
        (delivery,) = receiver.requests()
        payload = Webhook(endpoint["secret"]).verify(delivery.body, delivery.headers)

    assert payload["type"] == "record.published"
    assert payload["data"]["id"] == published["evidenceAssessment"]["id"]
    assert (payload["data"]["type"], payload["data"]["version"]) == ("EvidenceAssessment", 1)
    assert payload["data"]["detail"] == {"changeNote": "First assessment of the trial."}
