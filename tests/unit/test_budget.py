"""The spending cap's rules: configuration, identity, period, allowed models, worst case and what a turn counts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from lib import budget
from lib.budget import BudgetConfig
from lib.pricing import cost_usd, max_cost_usd, tool_fees_usd
from lib.stream import Item, Turn, Usage


def test_config_reads_the_new_name_then_the_old_one_from_secrets_then_environment() -> None:
    cfg = budget.budget_config({"SESSION_BUDGET_USD": "0.50"}, {"BUDGET_USD": "2", "ALLOWED_MODELS": "GPT-5-mini; o3"})
    assert cfg.cap_usd == 0.5 and cfg.allowed_models == ("gpt-5-mini", "o3")
    assert cfg.max_output_tokens == budget.DEFAULT_MAX_OUTPUT_TOKENS
    assert cfg.sources == {"cap": "secrets (SESSION_BUDGET_USD)", "models": "environment"}
    both = budget.budget_config({"BUDGET_USD": "1", "SESSION_BUDGET_USD": "9", "MAX_OUTPUT_TOKENS": "512"}, {})
    assert both.cap_usd == 1.0 and both.max_output_tokens == 512 and both.sources["cap"] == "secrets"
    assert budget.budget_config({}, {}) == BudgetConfig()


def test_parse_errors_name_the_setting() -> None:
    assert budget.parse_budget(None) is None and budget.parse_budget(" ") is None
    assert budget.parse_budget("$2.5") == 2.5 and budget.parse_budget(3) == 3.0
    for bad in ("lots", "-1", "nan", "inf"):
        with pytest.raises(ValueError, match="SESSION_BUDGET_USD"):
            budget.parse_budget(bad, "SESSION_BUDGET_USD")
    with pytest.raises(ValueError, match="BUDGET_USD"):
        budget.budget_config({"BUDGET_USD": "a lot"}, {})
    for bad in ("many", "8"):
        with pytest.raises(ValueError, match="MAX_OUTPUT_TOKENS"):
            budget.parse_max_output(bad)
    assert budget.parse_models(["a", " B ", "a"]) == ("a", "b")


def test_period_is_the_utc_day() -> None:
    late_in_new_york = datetime(2026, 11, 30, 22, 30, tzinfo=timezone(timedelta(hours=-5)))
    assert budget.period(late_in_new_york) == "2026-12-01"
    assert budget.period(datetime(2026, 11, 30, 0, 0, tzinfo=UTC)) == "2026-11-30"


def test_identity_is_the_person_when_signed_in_else_the_visitors_address() -> None:
    owner = "key:0123456789abcdef"  # everyone behind one app password
    assert budget.identity("user:ann@example.com", shared_login=True, peer_ip="203.0.113.9") == "user:ann@example.com"
    by_ip = budget.identity(owner, shared_login=False, peer_ip="203.0.113.9")
    assert by_ip.startswith("ip:") and "203.0.113.9" not in by_ip
    assert by_ip != budget.identity(owner, shared_login=False, peer_ip="203.0.113.10")
    assert budget.identity(owner, shared_login=False, peer_ip=None) == owner


def test_models_allowed_on_the_owners_key() -> None:
    default = BudgetConfig(cap_usd=1.0)
    assert budget.model_allowed("gpt-5-mini", default) and budget.model_allowed("GPT-5-mini", default)
    assert not budget.model_allowed("my-llama", default)  # no known price: the cap could not count it
    assert not budget.model_allowed("", default)
    listed = BudgetConfig(cap_usd=1.0, allowed_models=("gpt-5-mini", "my-llama"))
    assert budget.model_allowed("gpt-5-mini", listed) and not budget.model_allowed("o1-pro", listed)
    assert not budget.model_allowed("my-llama", listed)  # listed, but a cap needs a price
    assert budget.model_allowed("my-llama", BudgetConfig(allowed_models=("my-llama",)))  # no cap: as listed
    refusal = budget.model_refusal("o1-pro", listed)
    assert "'o1-pro'" in refusal and "Allowed: gpt-5-mini." in refusal
    assert "such as gpt-5-mini" in budget.model_refusal("my-llama", default, ("gpt-5-mini", "my-llama"))


def test_worst_case_and_cap_refusals() -> None:
    cfg = BudgetConfig(cap_usd=0.05, max_output_tokens=4096)
    worst = budget.worst_case_usd("o1-pro", 100, cfg)
    assert worst == max_cost_usd("o1-pro", 100, 4096) and worst > 0.05
    assert "could cost up to $" in budget.cap_refusal(0.0, 0.05, worst)
    assert budget.cap_refusal(0.0, 0.05, budget.worst_case_usd("gpt-5-mini", 100, cfg)) is None
    assert budget.cap_refusal(0.0, None, worst) is None
    assert "budget" in budget.cap_refusal(0.05, 0.05)
    assert budget.cap_refusal(sum([0.01] * 5), 0.05) is not None  # 0.049999… counts as spent
    assert budget.cap_refusal(0.0, 0.0) is not None  # a zero cap allows no turn on the app's key
    assert budget.left_usd(0.25, 1.0) == 0.75 and budget.left_usd(1.5, 1.0) == 0.0


def test_input_estimate_carries_the_last_request() -> None:
    previous = Turn(prompt="hi", usage=Usage(input_tokens=2000, output_tokens=3000))
    assert budget.input_estimate("x" * 400, previous) == 5000 + 100 + 1
    assert budget.input_estimate("", None) == 1


def test_a_turn_counts_tokens_and_hosted_tool_fees() -> None:
    usage = Usage(input_tokens=2000, output_tokens=3000)
    tokens = cost_usd("gpt-5-mini", usage.as_api())
    turn = Turn(
        prompt="q",
        model="gpt-5-mini",
        response_id="resp_1",
        usage=usage,
        cost_usd=tokens,
        items=[
            Item(id="ws_1", type="web_search_call"),
            Item(id="ws_2", type="web_search_call"),
            Item(id="fs_1", type="file_search_call"),
            Item(id="ci_1", type="code_interpreter_call"),
        ],
    )
    fees = tool_fees_usd("gpt-5-mini", web_searches=2, file_searches=1)
    assert fees == pytest.approx(0.0225)  # $10 and $2.50 per thousand calls in genai-prices' data
    assert budget.charge_usd(turn, reserved_usd=0.01) == pytest.approx(tokens + fees)


def test_a_turn_whose_usage_never_came_keeps_its_reservation() -> None:
    cut = Turn(prompt="q", model="gpt-5-mini", response_id="resp_1", status="interrupted")
    assert budget.charge_usd(cut, reserved_usd=0.008) == 0.008
    refused = Turn(prompt="q", model="gpt-5-mini", status="failed")  # the API said no before any response
    assert budget.charge_usd(refused, reserved_usd=0.008) == 0.0


class Ledger:
    """The store's spend counter, in memory (the store itself is tested in test_store_spend.py)."""

    def __init__(self) -> None:
        self.total = 0.0

    def add(self, identity: str, period: str, usd: float) -> float:
        self.total += usd
        return self.total


def test_a_tab_reserves_then_settles_to_the_real_charge() -> None:
    ledger = Ledger()
    tab = budget.Tab(ledger, "ip:x", "2026-11-30", reserved_usd=0.01)
    assert ledger.total == 0.01
    tab.settle(Turn(prompt="q", response_id="resp_1", cost_usd=0.002))
    assert ledger.total == pytest.approx(0.002)


def test_budget_line() -> None:
    assert budget.budget_line(0.0123, None) is None
    assert budget.budget_line(0.0123, 0.5) == "Spent \\$0.0123 of today's \\$0.50 on the app's key (resets 00:00 UTC)."
