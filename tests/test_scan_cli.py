"""``hubcheck decode`` / ``hubcheck label`` through the real entry point (subprocess)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.scan_helpers import CODE_HEX, EUI, EUI_DASHED, scene, symbol, zigbee_payload

REPO = Path(__file__).resolve().parents[1]


def hubcheck(*args: str, home: Path, env_extra: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HUBCHECK_HOME": str(home), **(env_extra or {})}
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=120
    )


@pytest.fixture
def home(tmp_path: Path) -> Path:
    path = tmp_path / "home"
    path.mkdir()
    return path


@pytest.fixture
def pictures(tmp_path: Path) -> dict[str, Path]:
    out = {}
    zig = symbol(zigbee_payload(), "qr", generator="qrcode")
    out["qr"] = tmp_path / "qr.png"
    Image.fromarray(zig).save(out["qr"])
    two = np.full((zig.shape[0], zig.shape[1] * 2 + 20), 255, np.uint8)
    two[:, : zig.shape[1]] = zig
    other = symbol("NOT-A-DEVICE", "qr", generator="segno")
    two[: other.shape[0], zig.shape[1] + 20 : zig.shape[1] + 20 + other.shape[1]] = other
    out["two"] = tmp_path / "two.png"
    Image.fromarray(two).save(out["two"])
    photo = scene(symbol(EUI, "code128", module_px=3), width_px=640, angle=2, contrast=(40, 220), blur=1, noise=6)
    out["photo"] = tmp_path / "photo.jpg"
    Image.fromarray(photo).convert("RGB").save(out["photo"], quality=92)
    out["blank"] = tmp_path / "blank.png"
    Image.fromarray(np.full((100, 100), 255, np.uint8)).save(out["blank"])
    out["text"] = tmp_path / "notes.png"
    out["text"].write_text("this is not a picture")
    out["truncated"] = tmp_path / "truncated.png"
    out["truncated"].write_bytes(out["qr"].read_bytes()[:200])
    return out


def test_decode_json_contract(home: Path, pictures: dict[str, Path]) -> None:
    files = [pictures[k] for k in ("qr", "two", "photo", "blank")]
    result = hubcheck("decode", *map(str, files), "--json", home=home)
    assert result.returncode == 0, result.stderr
    entries = json.loads(result.stdout)
    assert [e["file"] for e in entries] == [str(f) for f in files]
    assert all(set(e) == {"file", "codes", "error"} and e["error"] is None for e in entries)
    qr, two, photo, blank = entries
    assert qr["codes"] == [
        {"format": "QRCode", "text": zigbee_payload(), "device_id": EUI_DASHED, "install_code": CODE_HEX}
    ]
    assert sorted(c["text"] for c in two["codes"]) == sorted([zigbee_payload(), "NOT-A-DEVICE"])
    assert {"format": "QRCode", "text": "NOT-A-DEVICE", "device_id": None, "install_code": None} in two["codes"]
    assert photo["codes"] == [{"format": "Code128", "text": EUI, "device_id": EUI_DASHED, "install_code": None}]
    assert blank["codes"] == []


def test_unreadable_files_are_entries_not_crashes(home: Path, pictures: dict[str, Path], tmp_path: Path) -> None:
    missing = tmp_path / "missing.png"
    files = [pictures["text"], pictures["qr"], missing, pictures["truncated"], tmp_path]
    result = hubcheck("decode", *map(str, files), "--json", home=home)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    entries = json.loads(result.stdout)
    assert len(entries) == 5
    assert [e["error"] is None for e in entries] == [False, True, False, False, False]
    assert all(e["codes"] == [] for e in entries if e["error"])
    assert "not a picture" in entries[0]["error"] and "no such file" in entries[2]["error"]
    assert entries[1]["codes"][0]["device_id"] == EUI_DASHED


def test_decode_with_zbar(home: Path, pictures: dict[str, Path]) -> None:
    result = hubcheck("decode", str(pictures["qr"]), "--decoder", "zbar", "--json", home=home)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)[0]["codes"][0]["install_code"] == CODE_HEX


def test_zbar_missing_says_so_in_one_line_and_carries_on(home: Path, pictures: dict[str, Path], tmp_path: Path) -> None:
    # a site-customisation that makes the zbar shared library unfindable, as on a machine without libzbar0
    hook = tmp_path / "nozbar"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(
        "import ctypes.util\n_real = ctypes.util.find_library\n"
        "ctypes.util.find_library = lambda name: None if name == 'zbar' else _real(name)\n"
    )
    env = {"PYTHONPATH": os.pathsep.join([str(hook), str(REPO)])}
    result = hubcheck("decode", str(pictures["qr"]), "--decoder", "zbar", "--json", home=home, env_extra=env)
    assert result.returncode == 0
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "libzbar0" in lines[0] and "zxing" in lines[0]
    assert json.loads(result.stdout)[0]["codes"][0]["device_id"] == EUI_DASHED


def test_decode_human_output(home: Path, pictures: dict[str, Path]) -> None:
    result = hubcheck("decode", str(pictures["qr"]), str(pictures["blank"]), home=home)
    assert result.returncode == 0
    assert f"device {EUI_DASHED}, install code {CODE_HEX}" in result.stdout
    assert "no barcode found" in result.stdout


@pytest.mark.parametrize("fmt", ["qr", "code128", "datamatrix"])
@pytest.mark.parametrize("with_code", [True, False])
def test_label_round_trip(home: Path, tmp_path: Path, fmt: str, with_code: bool) -> None:
    out = tmp_path / "labels" / f"{fmt}.png"
    args = ["label", "--device-id", "00:0d:6f:00:00:ab:cd:ef", "--format", fmt, str(out)]
    if with_code:
        args[1:1] = ["--install-code", CODE_HEX]
    made = hubcheck(*args, home=home)
    assert made.returncode == 0, made.stderr
    read = json.loads(hubcheck("decode", str(out), "--json", home=home).stdout)
    expected_format = {"qr": "QRCode", "code128": "Code128", "datamatrix": "DataMatrix"}[fmt]
    assert read[0]["codes"] == [
        {
            "format": expected_format,
            "text": zigbee_payload() if with_code else EUI,
            "device_id": EUI_DASHED,
            "install_code": CODE_HEX if with_code else None,
        }
    ]


def test_label_usage_errors(home: Path, tmp_path: Path) -> None:
    bad_id = hubcheck("label", "--device-id", "12345", "--format", "qr", str(tmp_path / "x.png"), home=home)
    assert bad_id.returncode == 2 and "--device-id" in bad_id.stderr and "Traceback" not in bad_id.stderr
    bad_code = hubcheck(
        "label", "--device-id", EUI, "--install-code", "XYZ", "--format", "qr", str(tmp_path / "x.png"), home=home
    )
    assert bad_code.returncode == 2 and "--install-code" in bad_code.stderr
    bad_format = hubcheck("label", "--device-id", EUI, "--format", "ean13", str(tmp_path / "x.png"), home=home)
    assert bad_format.returncode == 2
    assert not (tmp_path / "x.png").exists()
