"""The `briefbot` command line: exit codes, summaries, JSON, chat, and the data-directory lock."""

from __future__ import annotations

import io
import json
import os
import socket
import subprocess
import sys
from collections.abc import Callable
from functools import partial
from pathlib import Path

import pytest

from bot.cli.app import main
from bot.services import build_services
from bot.settings import Settings
from retrieval.index.chroma_client import open_embedded
from tests.conftest import SAMPLE, free_port, started_chroma, stop
from tests.llmserver import Reply, ScriptedLLM

BRIEFBOT = Path(sys.executable).parent / "briefbot"


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, model) -> Callable[[list[str]], int]:
    """`briefbot` in this process, on a temporary data directory, reusing the loaded model."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    return partial(main, build=partial(build_services, model=model))


def test_ingest_prints_a_summary_and_is_idempotent(cli, capsys) -> None:
    assert cli(["ingest", str(SAMPLE)]) == 0
    assert "1 added, 0 updated, 0 unchanged, 0 failed" in capsys.readouterr().out
    assert cli(["ingest", str(SAMPLE)]) == 0
    assert "0 added, 0 updated, 1 unchanged, 0 failed" in capsys.readouterr().out


def test_ingest_with_a_bad_source_exits_1_and_says_why(cli, capsys) -> None:
    assert cli(["ingest", "missing.txt", str(SAMPLE)]) == 1
    out = capsys.readouterr().out
    assert "missing.txt" in out and "no such file" in out
    assert "1 added" in out and "1 failed" in out
    assert "Traceback" not in out


def test_a_failure_is_one_line_when_the_output_is_not_a_terminal(cli, capsys) -> None:
    name = "a-source-with-a-long-name-" + "x" * 120 + ".txt"
    assert cli(["ingest", name]) == 1
    (line,) = [x for x in capsys.readouterr().out.splitlines() if "failed" in x and "x.txt" in x]
    assert name in line and "no such file" in line


def test_a_bad_jsonl_line_fails_its_file_and_the_next_source_goes_in(
    cli, capsys, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "a", "text": "Some words here.", "date": 20250603}\n')
    assert cli(["ingest", str(bad), str(SAMPLE)]) == 1
    out = capsys.readouterr().out
    assert "line 1: 'date' must be a string, not int" in out
    assert "1 added, 0 updated, 0 unchanged, 1 failed" in out
    assert "unexpected" not in out


def test_an_empty_question_is_a_usage_error(cli, capsys) -> None:
    assert cli(["ask", "  "]) == 2
    assert "usage: briefbot ask QUESTION" in capsys.readouterr().err


def test_check_reports_a_sound_store(cli, capsys) -> None:
    assert cli(["ingest", str(SAMPLE)]) == 0
    capsys.readouterr()
    assert cli(["check"]) == 0
    out = capsys.readouterr().out
    assert "1 briefing; removed 0 unfinished or replaced writes and 0 rows of no briefing" in out
    assert "catalogue: ok" in out


def test_ask_json_has_the_documented_fields(cli, capsys) -> None:
    cli(["ingest", str(SAMPLE)])
    capsys.readouterr()
    assert cli(["ask", "--json", "What did Russia propose?"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["abstained"] is False
    assert data["answer"]
    assert data["citations"]
    for c in data["citations"]:
        assert set(c) >= {"text", "doc_id", "title", "date", "url", "start", "end"}
        assert c["date"] == "2025-06-02"
        assert SAMPLE.read_text().count(c["text"]) == 1


def test_ask_json_says_whether_a_language_model_wrote_the_answer(
    cli, capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    cli(["ingest", str(SAMPLE)])
    capsys.readouterr()
    quotes = json.loads(_ask_json(cli, capsys))  # no language model
    with ScriptedLLM() as llm:
        monkeypatch.setenv("LLM_PROVIDER", "openai")
        monkeypatch.setenv("LLM_BASE_URL", llm.base_url)
        first = quotes["citations"][0]["text"]
        llm.script(Reply(f"{first.rstrip('.')} [1]."))
        written = json.loads(_ask_json(cli, capsys))
        llm.script(Reply("Poland proposed 900 tanks [1]."))
        rejected = json.loads(_ask_json(cli, capsys))
    assert quotes["generated"] is False and quotes["note"] is None
    assert written["generated"] is True and written["note"] is None
    assert written["answer"] == f"{first.rstrip('.')} [1]."
    assert [c["text"] for c in written["citations"]] == [first]
    assert rejected["generated"] is False
    assert rejected["citations"] == quotes["citations"]  # the quotes, as without a model


def test_a_local_model_that_is_not_there_is_one_clear_line(
    cli, capsys, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("LLM_PROVIDER", "local")
    monkeypatch.setenv("LLM_MODEL", str(tmp_path / "missing.gguf"))
    assert cli(["ask", "What did Russia propose?"]) == 1
    out = capsys.readouterr()
    shown = (out.out + out.err).strip()
    assert shown.endswith("missing.gguf is not a file; give the path of a .gguf model")
    assert len(shown.splitlines()) == 1 and "Traceback" not in shown


def test_who_lists_what_a_person_said_with_the_speaker(cli, capsys) -> None:
    cli(["ingest", str(SAMPLE)])
    capsys.readouterr()
    assert cli(["who", "--json", "Keceli"]) == 0
    [said] = json.loads(capsys.readouterr().out)
    assert said["speaker"] == "Oncu Keceli" and said["date"] == "2025-06-02"
    assert SAMPLE.read_text().count(said["text"]) == 1
    assert cli(["who", "Keceli"]) == 0
    assert "(Oncu Keceli)" in capsys.readouterr().out
    assert cli(["who", "Nobody"]) == 1
    assert capsys.readouterr().out.strip() == "The briefings quote no one called Nobody."


def test_a_bulk_ingest_is_searchable_at_once_and_read_names_its_speakers(cli, capsys) -> None:
    assert cli(["ingest", "--bulk", str(SAMPLE)]) == 0
    out = capsys.readouterr().out
    assert "1 added" in out and "1 briefing stored unread" in out
    assert cli(["ask", "--json", "Where were the talks held?"]) == 0
    assert json.loads(capsys.readouterr().out)["citations"]
    assert cli(["who", "Keceli"]) == 1  # not parsed yet
    capsys.readouterr()
    assert cli(["read"]) == 0
    assert "Read 1 briefing; 0 left." in capsys.readouterr().out
    assert cli(["who", "--json", "Keceli"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["speaker"] == "Oncu Keceli"
    assert cli(["read"]) == 0
    assert capsys.readouterr().out.strip() == "No briefings wait to be read."


def test_who_takes_either_spelling_and_every_view_shows_one_name(
    cli, capsys, tmp_path: Path
) -> None:
    briefings = tmp_path / "spellings.jsonl"
    rows = [
        ("kyiv", "2025-10-04", "Volodymyr Zelenskyy said Ukraine would not give up any land."),
        ("ankara", "2025-10-06", "Zelenskiy told reporters that a winter truce was possible."),
        ("aide", "2025-10-07", "A spokesperson for Zelensky said the winter truce talks went on."),
    ]
    briefings.write_text(
        "".join(
            json.dumps({"id": i, "title": f"Talks {i}", "text": text, "date": day}) + "\n"
            for i, day, text in rows
        )
    )
    assert cli(["ingest", str(briefings)]) == 0
    capsys.readouterr()
    listed = {}
    for spelling in ("Zelensky", "Zelenskyy"):
        assert cli(["who", "--json", spelling]) == 0
        listed[spelling] = json.loads(capsys.readouterr().out)
    assert listed["Zelensky"] == listed["Zelenskyy"] and len(listed["Zelensky"]) == 2
    assert {s["speaker"] for s in listed["Zelensky"]} == {"Volodymyr Zelenskyy"}
    assert cli(["ask", "--json", "What did Zelenskiy say about a winter truce?"]) == 0
    cited = json.loads(capsys.readouterr().out)["citations"]
    speakers = {c["text"]: c["speaker"] for c in cited}
    assert speakers["Zelenskiy told reporters that a winter truce was possible."] == (
        "Volodymyr Zelenskyy"
    )
    assert cli(["timeline", "--json", "winter truce"]) == 0
    entries = json.loads(capsys.readouterr().out)["entries"]
    assert {e["speaker"] for e in entries} >= {"Volodymyr Zelenskyy", "a spokesperson for Zelensky"}


def test_a_period_with_nothing_answers_from_the_nearest_with_a_one_line_notice(cli, capsys) -> None:
    cli(["ingest", str(SAMPLE)])  # dated 2 June 2025
    capsys.readouterr()
    asked = ["ask", "--as-of", "2026-12-01", "What did Russia propose in June?"]
    assert cli([*asked[:3], "--json", asked[3]]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert answer["note"] == "Nothing from June 2026; from June 2025:"
    assert answer["citations"] and not answer["abstained"]
    assert cli(asked) == 0
    shown = capsys.readouterr().out
    assert shown.splitlines()[0] == "Nothing from June 2026; from June 2025:"


def test_timeline_json_has_the_documented_fields(cli, capsys) -> None:
    cli(["ingest", str(SAMPLE)])
    capsys.readouterr()
    assert cli(["timeline", "--json", "prisoner exchange"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["topic"] == "prisoner exchange" and doc["entries"]
    for entry in doc["entries"]:
        assert set(entry) >= {"date", "text", "doc_id", "title", "url", "speaker"}
        assert entry["date"] == "2025-06-02"
        assert SAMPLE.read_text().count(entry["text"]) == 1
    assert cli(["timeline", "football transfers"]) == 1


def test_digest_is_set_shown_and_stopped_from_the_command_line(cli, capsys) -> None:
    chat = "-100300"
    assert cli(["digest", "--chat", chat, "--at", "8:00"]) == 1  # no topics yet
    assert "follows no topics" in capsys.readouterr().out
    assert cli(["follow", "--chat", chat, "peace talks"]) == 0
    assert cli(["digest", "--chat", chat, "--at", "25:00"]) == 2
    assert cli(["digest", "--chat", chat, "--at", "8:00"]) == 0
    assert cli(["digest", "--chat", chat]) == 0
    assert cli(["digest", "--chat", chat, "--off"]) == 0
    out = capsys.readouterr().out
    assert "25:00 is no time of day" in out
    assert f"Chat {chat} gets a daily digest at 08:00 (UTC)." in out
    assert f"Chat {chat} gets no more digest." in out


def _ask_json(cli, capsys) -> str:
    assert cli(["ask", "--json", "What did Russia propose?"]) == 0
    return str(capsys.readouterr().out)


def test_ask_prints_numbered_citations_or_abstains(cli, capsys) -> None:
    cli(["ingest", str(SAMPLE)])
    capsys.readouterr()
    assert cli(["ask", "What did Russia propose?"]) == 0
    out = capsys.readouterr().out
    assert "[1]" in out and "2025-06-02" in out
    assert cli(["ask", "What is the capital of Australia?"]) == 0
    assert "I found nothing about that in the briefings." in capsys.readouterr().out


def test_list_and_remove(cli, capsys) -> None:
    cli(["ingest", str(SAMPLE)])
    capsys.readouterr()
    assert cli(["list", "--json"]) == 0
    (record,) = json.loads(capsys.readouterr().out)
    assert record["date"] == "2025-06-02" and record["sentences"] > 10
    assert cli(["remove", "no-such-id"]) == 1
    assert "No briefing has the id no-such-id" in capsys.readouterr().out
    assert cli(["remove", record["id"][:8]]) == 0
    assert cli(["list"]) == 0
    assert "No briefings yet" in capsys.readouterr().out


def test_chat_answers_and_handles_commands(cli, capsys, monkeypatch) -> None:
    cli(["ingest", str(SAMPLE)])
    capsys.readouterr()
    monkeypatch.setattr(
        sys,
        "stdin",
        io.StringIO("What did Russia propose?\n/unknown\n/ingest missing.txt\n/quit\n"),
    )
    assert cli(["chat"]) == 0
    out = capsys.readouterr().out
    assert "1 briefing stored" in out
    assert "[1]" in out and "ceasefire" in out
    assert "Unknown command /unknown" in out
    assert "no such file" in out


def test_second_process_on_the_data_directory_gets_a_clear_message(tmp_path: Path) -> None:
    holder = open_embedded(tmp_path / "data" / "chroma")
    try:
        env = {**os.environ, "DATA_DIR": str(tmp_path / "data")}
        done = subprocess.run(
            [str(BRIEFBOT), "list"],
            capture_output=True,
            text=True,
            env=env,
            cwd=tmp_path,
            timeout=120,
        )
    finally:
        holder.close()
    assert done.returncode == 1
    assert "already in use by another briefbot process" in done.stderr
    assert "CHROMA_HOST" in done.stderr
    assert "Traceback" not in done.stderr


def test_ingest_is_handed_over_only_to_a_running_bot(cli, capsys, tmp_path: Path) -> None:
    holder = open_embedded(tmp_path / "data" / "chroma")  # another command holds the store
    try:
        assert cli(["ingest", str(SAMPLE)]) == 1
        holder.claim("bot")  # the Telegram bot records this once it runs
        assert cli(["ingest", str(SAMPLE)]) == 0
    finally:
        holder.close()
    first, handed = capsys.readouterr().err, list((tmp_path / "data" / "inbox").glob("*.json"))
    assert "already in use by another briefbot process" in first
    assert len(handed) == 1


def test_store_server_holds_the_data_directory_and_serves_it(tmp_path: Path) -> None:
    port = free_port()
    env = {"DATA_DIR": str(tmp_path / "data"), "CHROMA_HOST": "", "LOG_LEVEL": "WARNING"}
    server = started_chroma(
        [str(BRIEFBOT), "store-server", "--port", str(port)], env=env, cwd=tmp_path
    )
    try:
        embedded = subprocess.run(
            [str(BRIEFBOT), "list"],
            capture_output=True,
            text=True,
            env={**os.environ, **env},
            cwd=tmp_path,
            timeout=120,
        )
        served = subprocess.run(
            [str(BRIEFBOT), "list", "--json"],
            capture_output=True,
            text=True,
            env={**os.environ, **env, "CHROMA_HOST": "127.0.0.1", "CHROMA_PORT": str(port)},
            cwd=tmp_path,
            timeout=120,
        )
    finally:
        stop(server)
    # The Chroma server it started went with it (SIGTERM is passed on): the port is free.
    with socket.create_server(("127.0.0.1", port)):
        pass
    assert embedded.returncode == 1
    assert "served by a Chroma server" in embedded.stderr
    assert f"CHROMA_HOST=127.0.0.1 and CHROMA_PORT={port}" in embedded.stderr
    assert "Traceback" not in embedded.stderr
    assert served.returncode == 0, served.stderr
    assert json.loads(served.stdout) == []


def test_start_without_token_opens_the_chat(tmp_path: Path) -> None:
    env = {**os.environ, "DATA_DIR": str(tmp_path / "data"), "TELEGRAM_BOT_TOKEN": ""}
    done = subprocess.run(
        [str(BRIEFBOT), "start"],
        input="",
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
    )
    assert done.returncode == 0
    assert "briefbot chat" in done.stdout and "question>" in done.stdout


def test_help_has_examples_and_usage_errors_exit_2(capsys) -> None:
    with pytest.raises(SystemExit) as ok:
        main(["--help"])
    assert ok.value.code == 0
    assert "briefbot ask" in capsys.readouterr().out
    with pytest.raises(SystemExit) as bad:
        main(["frobnicate"])
    assert bad.value.code == 2


def test_a_briefing_another_process_stores_is_answered_at_once(
    tmp_path: Path, chroma_server: tuple[str, int], model
) -> None:
    host, port = chroma_server
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        data_dir=tmp_path / "data",
        chroma_host=host,
        chroma_port=port,
    )
    services = build_services(settings, model=model)  # a running bot's services
    try:
        assert services.ask("What did Russia propose?").abstained
        env = {**os.environ, "DATA_DIR": str(settings.data_dir), "CHROMA_HOST": host}
        env["CHROMA_PORT"] = str(port)
        done = subprocess.run(
            [str(BRIEFBOT), "ingest", str(SAMPLE)],
            capture_output=True,
            text=True,
            env=env,
            cwd=tmp_path,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr
        answer = services.ask("What did Russia propose?")  # nothing reloaded in between
    finally:
        services.close()
    assert not answer.abstained and "ceasefire" in answer.text


def test_digest_preview_prints_the_next_digest_and_marks_nothing(cli, capsys) -> None:
    chat = "-100301"
    assert cli(["digest", "--chat", chat, "--preview"]) == 1  # no digest set
    assert cli(["follow", "--chat", chat, "peace talks in Istanbul"]) == 0
    assert cli(["digest", "--chat", chat, "--at", "8:00"]) == 0
    assert cli(["digest", "--chat", chat, "--preview"]) == 0
    capsys.readouterr()
    assert cli(["ingest", str(SAMPLE)]) == 0
    capsys.readouterr()
    assert cli(["digest", "--chat", chat, "--preview"]) == 0
    first = capsys.readouterr().out
    assert cli(["digest", "--chat", chat, "--preview"]) == 0
    assert capsys.readouterr().out == first  # nothing was marked as sent
    assert f"Preview of chat {chat}'s next daily digest:" in first
    assert "[1] " in first and "2025-06-02" in first
