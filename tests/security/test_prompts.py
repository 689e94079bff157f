"""Prompt templates on a shared deployment: one signed-in person's templates never reach another's requests."""

from __future__ import annotations

from lib.markup import code_span
from lib.profile_format import to_data
from lib.prompt_templates import PromptVersion
from lib.settings import Settings
from lib.store import HistoryStore
from tests.app.actions import send_message
from tests.fake_openai import FakeOpenAI
from tests.security.attack import owner_app, signed_in, tree_text

ANN, BOB = "user:ann@example.com", "user:bob@example.com"  # the store's owners of these signed-in people
TRACKER = "https://tracker.example/pixel.png"


def test_a_template_name_does_not_open_someone_elses_template(app, shared_env: FakeOpenAI, monkeypatch, clean_env):
    """Attack: Bob, on the owner's key, points his own profile at the name of Ann's template (names are guessable);
    the name carries markdown that would load an image if it were drawn as markup."""
    secret_name = f"plan ![x]({TRACKER})"
    store = HistoryStore(f"sqlite:///{clean_env / 'history.db'}")
    store.prompts.save(ANN, PromptVersion(secret_name, 0, "Ann's secret plan."))
    store.profiles.save(BOB, "lure", to_data(Settings(instructions="Bob's own.", prompt_template=secret_name)))
    store.close()

    bob = signed_in(owner_app(app, monkeypatch), "bob@example.com")
    bob.query_params["profile"] = "lure"
    bob = bob.run()
    (warning,) = [w.proto.body for w in bob.warning if "is not among your templates" in w.proto.body]
    assert code_span(secret_name) in warning  # the name shown as code, never as an image
    send_message(bob, "Hi")
    assert shared_env.response_requests()[0]["instructions"] == "Bob's own."
    assert "secret plan" not in tree_text(bob)
    bob.switch_page("app_pages/setup.py").run()
    assert secret_name not in bob.selectbox(key="prompt_select").options
