"""The tester kit (app/testing): every fixture and driver method, used as a tester would.

Real parts throughout: the real window on a real SQLite folder, the real camera pipeline
fed generated labels, real key events, the real back office and DCC simulator over real
HTTP on 127.0.0.1 behind the kit's faulty link. Nothing of ours is mocked.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import httpx
import pytest

from app.testing.samples import case_for

pytest_plugins = ["app.testing.plugin"]

MISMATCH = case_for("tactical STOP (mismatch)")  # J-000102: SMETS2+ PPMID, SMETS1 hub
OK = case_for("OK under both regimes")  # J-000101
UNKNOWN = case_for("UNKNOWN until")
OK_METER = "0A-1B-2C-00-00-00-00-10"
REPO = Path(__file__).resolve().parents[1]


# --------------------------------------------------------------------------- the plugin itself
def test_importing_the_plugin_loads_no_qt_no_database_and_no_back_office() -> None:
    code = ("import sys, app.testing.plugin, app.testing; "
            "heavy = sorted(m for m in ('PySide6', 'sqlalchemy', 'fastapi', 'uvicorn', 'httpx', 'app.ui', "
            "'app.testing.driver', 'pytestqt') if m in sys.modules); print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO)
    assert out.stdout.strip() == "[]", out.stdout


def test_the_entry_point_and_pytest_plugins_together_register_it_once(tmp_path: Path) -> None:
    """Installed (entry point 'hubcheck') and named in pytest_plugins: pytest would refuse a
    module registered under two names; the plugin blocks its second name instead."""
    (tmp_path / "test_both.py").write_text(textwrap.dedent("""
        pytest_plugins = ["app.testing.plugin"]

        def test_home(hubcheck_home, hubcheck_cpl, request):
            names = [n for n, p in request.config.pluginmanager.list_name_plugin() if p is not None
                     and getattr(p, "__name__", "") == "app.testing.plugin"]
            assert names == ["hubcheck"], names
            assert hubcheck_home.is_dir() and hubcheck_cpl.name == "cpl.csv"
    """))
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("PYTEST_DISABLE_PLUGIN_AUTOLOAD", None)
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_both.py"],
                         cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    off = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:hubcheck",
                          "--fixtures", "test_both.py"], cwd=tmp_path, env=env, capture_output=True, text=True,
                         timeout=120)
    assert "hubcheck_home" in off.stdout  # -p no:hubcheck: pytest_plugins still loads it, by its module name


# --------------------------------------------------------------------------- data folder, CPL, jobs
def test_home_is_the_windows_own_muted_folder(hubcheck, hubcheck_home: Path) -> None:
    assert hubcheck.window.ctx.data_dir == hubcheck_home
    assert os.environ["HUBCHECK_HOME"] == str(hubcheck_home)
    assert not hubcheck.window.sound.enabled
    assert "cpl.csv" in hubcheck.text("cplStatusLabel")


class TestNoDataThenLoaded:
    """Overriding ``hubcheck_cpl`` / ``hubcheck_jobs`` (here: None) starts with no data."""

    @pytest.fixture
    def hubcheck_cpl(self) -> None:
        return None

    @pytest.fixture
    def hubcheck_jobs(self) -> None:
        return None

    def test_load_cpl_and_load_jobs_through_the_file_menu_path(self, hubcheck) -> None:
        from app.services.paths import SAMPLE_DIR

        assert "none imported" in hubcheck.text("cplStatusLabel")
        summary = hubcheck.load_cpl(SAMPLE_DIR / "cpl.csv")
        assert summary.kind == "cpl" and summary.imported > 0
        assert "cpl.csv" in hubcheck.text("cplStatusLabel")
        jobs = hubcheck.load_jobs(SAMPLE_DIR / "jobpack.json")
        assert jobs.jobs > 0
        hubcheck.open_job("J-000101")
        assert hubcheck.widget("jobPicker").job.job_ref == "J-000101"


# --------------------------------------------------------------------------- the driver
def test_mismatch_under_tactical_then_mp202(hubcheck) -> None:
    hubcheck.open_job(MISMATCH.job_ref)
    hubcheck.scan_ppmid(MISMATCH.ppmid_label)
    hubcheck.scan_hub(MISMATCH.hub_label)
    verdict = hubcheck.verdict()
    assert (verdict.level, verdict.level_text, verdict.resulting_smets) == ("block", "STOP", None)
    assert verdict.reason_codes == ("SMETS_MISMATCH",)
    assert verdict.regime_text == "Regime: Tactical" and verdict.reasons[0][0] == "Stop"

    hubcheck.set_regime("MP202")
    after = hubcheck.verdict()
    assert (after.level, after.resulting_smets, after.regime_text) == ("warn", "SMETS1", "Regime: MP202")
    assert after.level_text == "WARNING" and "SMETS_MISMATCH" not in after.reason_codes


def test_unknown_hub_until_its_generation_is_given(hubcheck) -> None:
    hubcheck.scan_ppmid(UNKNOWN.ppmid_label)
    hubcheck.scan_hub(UNKNOWN.hub_label)
    assert hubcheck.verdict().level == "unknown"
    hubcheck.give_hub_generation("smets2")
    given = hubcheck.verdict()
    assert given.level != "unknown" and given.resulting_smets == "SMETS2+"
    with pytest.raises(AssertionError, match="SMETS3"):
        hubcheck.give_hub_generation("SMETS3")


def test_record_install_with_choices_then_queue_as_shown(hubcheck) -> None:
    hubcheck.open_job(OK.job_ref)
    hubcheck.scan_ppmid(OK.ppmid_label)
    hubcheck.scan_hub(OK.hub_label)
    assert hubcheck.verdict().level == "ok"
    with pytest.raises(AssertionError, match="not offered"):
        hubcheck.record_install(meter="0A-1B-2C-00-00-00-99-99")
    with pytest.raises(AssertionError, match="no record choice"):
        hubcheck.record_install(colour="red")
    outcome = hubcheck.record_install(meter="0a1b2c0000000010", wan=False, premise="Terraced", metal=True)
    assert [i.srv for i in outcome.intents][0] == "8.14.2"  # no SM WAN: the hub install says so
    rows = hubcheck.queue()
    assert [r.srv for r in rows] == [i.srv for i in outcome.intents]
    assert {r.state for r in rows} == {"queued"} and {r.job_ref for r in rows} == {OK.job_ref}
    join = next(r for r in rows if r.srv == "8.7.1")
    assert join.target == OK_METER and join.request.startswith("Join") and join.last_error == ""
    assert hubcheck.text("queueCountLabel") == f"Queued: {len(rows)}"


def test_a_stop_needs_the_override_reason_and_abort_visit_logs_the_visit(hubcheck) -> None:
    hubcheck.open_job(MISMATCH.job_ref)
    hubcheck.scan_ppmid(MISMATCH.ppmid_label)
    hubcheck.scan_hub(MISMATCH.hub_label)
    with pytest.raises(AssertionError, match="override reason"):
        hubcheck.record_install()
    outcome = hubcheck.abort_visit("customer not at home")
    assert outcome.outcome == "aborted" and outcome.intents == ()
    assert "abort" in hubcheck.record_message.lower()


# --------------------------------------------------------------------------- hardware stand-ins
def test_fake_camera_reads_generated_labels_through_the_real_pipeline(hubcheck, fake_camera) -> None:
    from app.testing.labels import label_image, label_png

    hubcheck.open_job(OK.job_ref)
    ppmid = fake_camera.scan_ppmid(label_image("0A-1B-2C-00-00-00-00-14", "30313233343536373839414243444546"))
    assert str(ppmid.device_id) == "0A-1B-2C-00-00-00-00-14" and ppmid.install_code_ok
    hub = fake_camera.scan_hub(label_image("0A-1B-2C-00-00-00-00-12", fmt="datamatrix"))
    assert str(hub.device_id) == "0A-1B-2C-00-00-00-00-12"
    assert hubcheck.verdict().level == "ok"
    assert fake_camera.frames_shown > 0
    assert not hubcheck.widget("cameraPane").isVisible()  # both read: the pane closed itself
    assert label_png("0A-1B-2C-00-00-00-00-12", fmt="code128")[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_label_with_a_wrong_crc_read_by_the_camera_is_a_stop(hubcheck, fake_camera) -> None:
    from app.testing.labels import label_image

    bad = label_image("0A-1B-2C-00-00-00-00-14", "30313233343536373839414243444546F590", with_crc=True)
    label = fake_camera.scan_ppmid(bad)
    assert not label.install_code_ok


def test_fake_scanner_bursts_into_whatever_has_the_focus(hubcheck, fake_scanner) -> None:
    from PySide6.QtWidgets import QLineEdit

    search = hubcheck.widget("jobSearchInput", QLineEdit)
    took = fake_scanner.scan(MISMATCH.ppmid_label, into=search)
    assert took < 30
    hubcheck.qtbot.waitUntil(lambda: hubcheck.window.view.ppmid.label is not None)
    assert hubcheck.widget("ppmidScanInput").text() == "0A-1B-2C-00-00-00-00-24"
    assert "$" not in search.text() and ":" not in search.text()  # not one key of it typed there
    fake_scanner.scan(MISMATCH.hub_label)  # the window moved the focus on: straight in
    assert hubcheck.verdict().level == "block"


# --------------------------------------------------------------------------- back office and DCC
def test_the_window_is_connected_to_the_back_office_and_a_visit_reaches_the_dcc(hubcheck, backoffice) -> None:
    assert hubcheck.window.ctx.settings.load().values["backoffice_url"] == backoffice.url
    hubcheck.open_job(OK.job_ref)
    hubcheck.scan_ppmid(OK.ppmid_label)
    hubcheck.scan_hub(OK.hub_label)
    outcome = hubcheck.record_install(meter=OK_METER)
    assert hubcheck.sync_now() == "ok"
    assert {i.key for i in backoffice.intents()} == {i.idempotency_key for i in outcome.intents}
    assert hubcheck.text("onlineLabel") == "Online"
    rows = hubcheck.wait_for_state("8.7.1", "succeeded", timeout=30)
    assert rows[0].target == OK_METER


def test_the_dcc_fails_the_critical_join_and_its_dependants_fail_with_it(hubcheck, backoffice) -> None:
    backoffice.dcc_answer("8.7.1", "E65")
    hubcheck.open_job(OK.job_ref)
    hubcheck.scan_ppmid(OK.ppmid_label)
    hubcheck.scan_hub(OK.hub_label)
    hubcheck.record_install(meter=OK_METER)
    [join] = hubcheck.wait_for_state("8.7.1", "failed", timeout=30)
    assert join.target == OK_METER
    assert (join.last_error, join.response_code) == ("DCC response E65", "E65")  # what the installer sees
    held = {i.srv: (i.state, i.response_code) for i in backoffice.intents()}
    assert held["8.7.1"] == ("failed", "E65")
    for srv in ("8.14.1", "8.11", "8.7.2", "8.2", "11.2"):  # nothing else waits for the critical join
        hubcheck.wait_for_state(srv, "succeeded", timeout=30)


def test_wait_for_state_presses_sync_now_once_per_finished_sync_with_a_growing_pause(hubcheck, backoffice) -> None:
    """A slow DCC (1.5 s an answer) is waited for with a few syncs, each pressed only after the last
    one finished and a pause that grows, not with a sync as fast as the back office answers."""
    backoffice.dcc_delay = 1.5
    hubcheck.open_job(OK.job_ref)
    hubcheck.scan_ppmid(OK.ppmid_label)
    hubcheck.scan_hub(OK.hub_label)
    hubcheck.record_install(meter=OK_METER)
    events: list[tuple[str, float]] = []
    hubcheck.widget("syncNowButton").clicked.connect(lambda: events.append(("press", time.monotonic())))
    hubcheck.window.syncFinished.connect(lambda _status: events.append(("done", time.monotonic())))

    [join] = hubcheck.wait_for_state("8.7.1", "succeeded", timeout=30)

    assert join.response_code == "I0"
    kinds = [kind for kind, _ in events]
    assert kinds == ["press", "done"] * (len(kinds) // 2), kinds  # never a press while a sync runs
    presses = [at for kind, at in events if kind == "press"]
    finishes = [at for kind, at in events if kind == "done"]
    # The join waits for its 8.11, so two DCC answers (about 3 s and more): with the pause,
    # a handful of syncs; pressed back to back, it would be dozens.
    assert 2 <= len(presses) <= 8, f"{len(presses)} syncs for two 1.5 s answers"
    pauses = [nxt - done for done, nxt in zip(finishes, presses[1:], strict=False)]
    first, longest = hubcheck.SYNC_BACKOFF
    wanted = [min(first * 2**n, longest) for n in range(len(pauses))]  # 0.25 s, 0.5 s, 1 s, 2 s …
    assert all(pause >= want * 0.9 for pause, want in zip(pauses, wanted, strict=True)), (pauses, wanted)


def test_a_session_back_office_is_one_server_reset_before_each_test(tmp_path: Path) -> None:
    """An outside project with ``hubcheck_backoffice_scope = session`` in its pytest.ini: two
    tests meet the same server; the first leaves a DCC rule, a slow DCC, a broken network
    and its own intents behind, and the second sees none of them."""
    (tmp_path / "pytest.ini").write_text("[pytest]\nhubcheck_backoffice_scope = session\n")
    (tmp_path / "test_shared.py").write_text(textwrap.dedent("""
        import os
        from pathlib import Path

        SEEN = Path(os.environ["SEEN_FILE"])


        def visit(hubcheck):
            hubcheck.open_job("J-000101")
            hubcheck.scan_ppmid("Z:0A1B2C0000000014$I:30313233343536373839414243444546F596")
            hubcheck.scan_hub("0A-1B-2C-00-00-00-00-12")
            hubcheck.record_install(meter="0A-1B-2C-00-00-00-00-10")


        def test_one_leaves_a_mess(hubcheck, backoffice):
            with SEEN.open("a") as seen:
                seen.write(f"{backoffice.direct_url} {backoffice.installer}\\n")
            visit(hubcheck)
            assert hubcheck.sync_now() == "ok" and len(backoffice.intents()) == 7
            backoffice.dcc_answer("8.7*", "E65")
            backoffice.dcc_delay = 9
            backoffice.fail_next(5, 503)
            backoffice.go_offline()


        def test_two_starts_clean(hubcheck, backoffice):
            with SEEN.open("a") as seen:
                seen.write(f"{backoffice.direct_url} {backoffice.installer}\\n")
            assert backoffice.intents() == []
            assert backoffice.dcc_delay == 0.2
            visit(hubcheck)
            assert hubcheck.sync_now() == "ok"
            [join] = hubcheck.wait_for_state("8.7.1", "succeeded", timeout=30)
            assert join.response_code == "I0"
    """))
    seen = tmp_path / "seen.txt"
    env = {**os.environ, "PYTHONPATH": str(REPO), "SEEN_FILE": str(seen)}
    env.pop("PYTEST_DISABLE_PLUGIN_AUTOLOAD", None)
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_shared.py"],
                         cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    assert "2 passed" in run.stdout
    (first_url, first_installer), (second_url, second_installer) = (
        line.split() for line in seen.read_text().splitlines())
    assert first_url == second_url, "each test had a back office of its own"
    assert first_installer != second_installer


def test_network_faults_on_command(hubcheck, backoffice) -> None:
    hubcheck.open_job(OK.job_ref)
    hubcheck.scan_ppmid(OK.ppmid_label)
    hubcheck.scan_hub(OK.hub_label)
    hubcheck.record_install(meter=OK_METER)

    backoffice.go_offline()
    assert hubcheck.sync_now() == "offline"
    assert hubcheck.text("onlineLabel") == "Offline" and backoffice.intents() == []
    backoffice.come_online()
    backoffice.fail_next(1, 500, path="/v1/intents")
    assert hubcheck.sync_now() != "ok"
    assert {r.state for r in hubcheck.queue()} == {"queued"} and backoffice.intents() == []
    backoffice.drop_next(1, after=True, path="/v1/intents")  # stored there, never confirmed here
    assert hubcheck.sync_now() != "ok"
    assert len(backoffice.intents()) == 7
    assert hubcheck.sync_now() == "ok"  # sent again: the back office keeps one of each
    assert len(backoffice.intents()) == 7
    assert backoffice.requests.count("POST /v1/intents") >= 2  # none arrived while offline


def test_faulty_link_by_itself(backoffice) -> None:
    url = backoffice.url
    with httpx.Client(base_url=url, timeout=10) as http:
        backoffice.fail_next(2, 503, retry_after=30)
        first, second, third = (http.get("/v1/health") for _ in range(3))
        assert (first.status_code, first.headers["retry-after"], second.status_code, third.status_code) == (
            503, "30", 503, 200)
        backoffice.delay(0.5, 1)
        started = time.monotonic()
        assert http.get("/v1/health").status_code == 200
        assert time.monotonic() - started >= 0.45
        backoffice.drop_next(1)
        with pytest.raises(httpx.TransportError):
            http.get("/v1/health")
        backoffice.go_offline()
        with pytest.raises(httpx.ConnectError):
            http.get("/v1/health")
        backoffice.come_online()
        assert http.get("/v1/health").status_code == 200
    assert backoffice.link.requests.count("GET /v1/health") == 6  # a refused connection never arrives


def test_objectname_reference_in_the_docs_matches_the_window(hubcheck) -> None:
    from app.testing.names import object_names, render_reference

    names = object_names(hubcheck.window)
    assert {"ppmidScanInput", "verdictLevelLabel", "syncNowButton", "recordInstallButton"} <= set(names)
    doc = (REPO / "docs" / "testing.md").read_text(encoding="utf-8")
    assert render_reference(names) in doc, "docs/testing.md's objectName table is stale: python -m app.testing.names"


def test_sync_now_answers_for_its_own_pass_not_a_timed_one_ahead_of_it(hubcheck, backoffice) -> None:  # noqa: ANN001
    """A timed pass already on the sync worker ends first; Sync now's answer is the status of
    the pass the press started, after that pass has run."""
    hubcheck.open_job(OK.job_ref)
    hubcheck.scan_ppmid(OK.ppmid_label)
    hubcheck.scan_hub(OK.hub_label)
    hubcheck.record_install(meter=OK_METER)
    ended: list[str] = []
    hubcheck.window.syncFinished.connect(ended.append)
    backoffice.delay(1.0, 1)  # the timed pass's first request is slow
    hubcheck.window.sync_due()  # the timer's pass, as if it fired just before the press
    assert hubcheck.sync_now() == "ok"
    assert len(ended) == 2, ended  # both passes had ended when sync_now() answered
