"""Choosing the platform: `coffer run --platform=direct|sgx|sgx-sim` and
COFFER_PLATFORM (the option wins). A signed bundle on sgx-sim is built by
coffer-sgx, the sgx platform's freestanding host (platform/sgx/host/main.c),
from coffer-enclave and the bundle's manifest, EINITed against the bundle's
SIGSTRUCT and entered at OENTRY in the fast variant (the EEXIT the image
exports in its second "Coffer" ELF note) or the faithful one. The runtime
does not run inside the enclave yet: after the image's probe line the host
says so and exits 125, and these tests hold it to exactly that, so that a
run that claims to have started a program on sgx-sim cannot pass. sgx is
hardware only: here it must exit 125 naming /dev/sgx_enclave, never fall
back to the simulation. Development runs stay on direct."""
import os
import subprocess

import pytest

from conftest import BUILD, COFFER
from test_sgxload import sign_bundle, tamper_manifest

SIM_NOTICE = ("coffer: simulated SGX on the sgx-sim platform: identity checked by EINIT (MRENCLAVE {}...), "
              "but nothing is hidden from the host: ENCLU is simulated in software")
NOT_YET = ("coffer: sgx-sim: the enclave was built, EINIT accepted it and it was entered, but the runtime does "
           "not run inside it yet: /app/hello was not started")
DIRECT_BUNDLE_NOTICE = "coffer: simulated SGX on the direct platform: identity checked (MRENCLAVE {}...)"


def coffer_run(*args, env=None):
    e = {k: v for k, v in os.environ.items() if not k.startswith("COFFER_")}
    e.update(env or {})
    r = subprocess.run([str(COFFER), "run", *map(str, args)], capture_output=True, text=True, timeout=300, env=e)
    if "syscall user dispatch" in r.stderr:
        pytest.skip("no Syscall User Dispatch on this kernel")
    return r


@pytest.fixture
def bundle(tmp_path, key):
    return sign_bundle(tmp_path, key)


@pytest.mark.parametrize("faithful", [False, True])
def test_bundle_built_entered_and_stopped_on_sgx_sim(bundle, faithful):
    path, mre = bundle
    r = coffer_run("--platform=sgx-sim", path, env={"COFFER_SGX_SIM_FAITHFUL": "1"} if faithful else {})
    lines = r.stderr.splitlines()
    assert r.returncode == 125, r.stderr
    assert lines[0] == SIM_NOTICE.format(mre[:16]), lines
    # written by the enclave through its OCALL, from inside ELRANGE
    assert lines[1].startswith("sgx-sim: enclave entered, image at ELRANGE+0x"), lines
    assert lines[2].startswith(NOT_YET), lines
    assert r.stdout == ""


def test_pinned_identity_checked_against_einit_on_sgx_sim(bundle):
    """The pins come in the boot block, as on direct, and are compared with
    the identity the simulated EINIT established, in direct's words."""
    path, mre = bundle
    other = "ab" * 32
    r = coffer_run("--platform=sgx-sim", f"--mrenclave={mre}", path)
    assert r.returncode == 125 and NOT_YET in r.stderr, r.stderr
    r = coffer_run("--platform=sgx-sim", f"--mrenclave={other}", path)
    assert r.returncode == 125, r.stderr
    assert r.stderr.strip() == f"coffer: refusing to start: MRENCLAVE is {mre}, not the expected {other}"
    r = coffer_run("--platform=sgx-sim", f"--mrsigner={other}", path)
    assert r.returncode == 125, r.stderr
    assert r.stderr.startswith("coffer: refusing to start: MRSIGNER is "), r.stderr
    assert r.stderr.strip().endswith(f", not the expected {other}: signed with another key"), r.stderr


def test_coffer_platform_environment_and_the_option_winning(bundle):
    path, mre = bundle
    r = coffer_run(path, env={"COFFER_PLATFORM": "sgx-sim"})
    assert r.returncode == 125 and r.stderr.startswith(SIM_NOTICE.format(mre[:16])), r.stderr
    r = coffer_run("--platform=direct", path, env={"COFFER_PLATFORM": "sgx-sim"})
    assert r.stderr.startswith(DIRECT_BUNDLE_NOTICE.format(mre[:16])), r.stderr
    r = coffer_run("--platform=sgx-sim", path, env={"COFFER_PLATFORM": "direct"})
    assert r.returncode == 125 and r.stderr.startswith(SIM_NOTICE.format(mre[:16])), r.stderr


def test_bundle_without_the_option_runs_on_direct(bundle):
    path, mre = bundle
    r = coffer_run(path)
    assert r.stderr.startswith(DIRECT_BUNDLE_NOTICE.format(mre[:16])), r.stderr


@pytest.mark.skipif(os.path.exists("/dev/sgx_enclave"), reason="this machine has the SGX driver")
@pytest.mark.parametrize("how", ["option", "environment"])
def test_sgx_is_hardware_only(bundle, how):
    path, _ = bundle
    r = coffer_run("--platform=sgx", path) if how == "option" else coffer_run(path, env={"COFFER_PLATFORM": "sgx"})
    assert r.returncode == 125, r.stderr
    assert "coffer: --platform=sgx: /dev/sgx_enclave does not exist" in r.stderr, r.stderr
    assert "sgx-sim" not in r.stderr.replace("(sgx-sim is the simulation)", ""), r.stderr  # no fallback


def test_tampered_bundle_refused_on_sgx_sim(bundle):
    path, _ = bundle
    tamper_manifest(path)
    r = coffer_run("--platform=sgx-sim", path)
    assert r.returncode == 125, r.stderr
    assert r.stderr.strip() == "coffer: sgx-sim: EINIT refused the enclave: ENCLAVEHASH is not the enclave's MRENCLAVE"


def test_image_without_the_eexit_note(tmp_path, key, monkeypatch):
    """The second "Coffer" note is what the fast variant needs; without it
    the host says so, and the faithful variant still runs. The note lies in
    a measured page: the bundle is signed for the changed image."""
    data = (BUILD / "coffer-enclave").read_bytes()
    second = data.index(b"Coffer\0\0", data.index(b"Coffer\0\0") + 1)
    image = tmp_path / "noeexit" / "coffer-enclave"
    image.parent.mkdir()
    copy = bytearray(data)
    copy[second] ^= 1
    image.write_bytes(bytes(copy))
    image.chmod(0o755)
    monkeypatch.setenv("COFFER_ENCLAVE", str(image))
    path, _ = sign_bundle(tmp_path, key)
    r = coffer_run("--platform=sgx-sim", path, env={"COFFER_ENCLAVE": str(image)})
    assert r.returncode == 125
    assert "the enclave image exports no EEXIT" in r.stderr, r.stderr
    r = coffer_run("--platform=sgx-sim", path, env={"COFFER_ENCLAVE": str(image), "COFFER_SGX_SIM_FAITHFUL": "1"})
    assert r.returncode == 125 and NOT_YET in r.stderr, r.stderr


@pytest.mark.parametrize("platform", ["sgx", "sgx-sim"])
@pytest.mark.parametrize("how", ["option", "environment"])
def test_development_run_refused_on_sgx_platforms(platform, how):
    if how == "option":
        r = coffer_run(f"--platform={platform}", "--", "/bin/true")
    else:
        r = coffer_run("--", "/bin/true", env={"COFFER_PLATFORM": platform})
    assert r.returncode == 125, r.stderr
    assert f"the {platform} platform runs signed bundles only" in r.stderr, r.stderr


def test_development_run_with_platform_direct():
    for r in (coffer_run("--platform=direct", "--", "/bin/echo", "hi"),
              coffer_run("--", "/bin/echo", "hi", env={"COFFER_PLATFORM": "direct"})):
        assert r.returncode == 0 and r.stdout == "hi\n", r.stderr
        assert "on the simulated direct platform" in r.stderr


@pytest.mark.parametrize("how", ["option", "environment"])
def test_unknown_platform_is_a_usage_error(tmp_path, how):
    if how == "option":
        r = coffer_run("--platform=sgx2", "--", "/bin/true")
        assert "coffer: --platform=sgx2: unknown platform (direct, sgx, sgx-sim)" in r.stderr
    else:
        r = coffer_run("--", "/bin/true", env={"COFFER_PLATFORM": "sgx2"})
        assert "coffer: COFFER_PLATFORM=sgx2: unknown platform (direct, sgx, sgx-sim)" in r.stderr
    assert r.returncode == 2, r.stderr


def test_sgx_sim_from_a_coffer_with_children(bundle):
    """A coffer that already has children runs coffer-sgx in a supervised
    child, as it runs coffer-enclave on direct, and reports its status."""
    path, mre = bundle
    e = {k: v for k, v in os.environ.items() if not k.startswith("COFFER_")}
    r = subprocess.run(["sh", "-c", f'sleep 30 & exec "{COFFER}" run --platform=sgx-sim "{path}"'],
                       capture_output=True, text=True, timeout=300, env=e)
    assert r.returncode == 125, r.stderr
    assert r.stderr.startswith(SIM_NOTICE.format(mre[:16])) and NOT_YET in r.stderr, r.stderr
