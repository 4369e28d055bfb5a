"""One bundle, one identity on sgx-sim: a bundle signed by `coffer sign` is
built on the simulated CPU from the layout's page list (coffer-enclave and
the bundle's manifest: platform/sgx/host/simload.c), EINIT accepts the
bundle's SIGSTRUCT, the simulated CPU's MRENCLAVE is the one `coffer sign`
printed and `coffer measure` computes, and the image, entered at its sgx
entry point (OENTRY, from its ELF note), relocates itself inside ELRANGE
and writes a line through one OCALL. A changed manifest or image byte is
refused by EINIT with its reason. The runner is tests/sgxsim/loadhost.c.

The hardware path gets the same pages: test_sgx_driver IMAGE BUNDLE hands
the loader's walker (layout_build) to sgxhw_build against the fake driver,
whose replay of the adds must be the SIGSTRUCT's ENCLAVEHASH."""
import hashlib
import re
import subprocess

import pytest

from conftest import BUILD, PROGS, cli

LOADER = PROGS / "test_sgxload"
DRIVER = PROGS / "test_sgx_driver"
IMAGE = BUILD / "coffer-enclave"

MANIFEST = """\
entrypoint: /app/hello
argv: [hello]
mounts:
  - path: /app
    type: trusted
    source: {app}
enclave:
  size: {size}
  threads: {threads}
"""


def load(image, bundle):
    return subprocess.run([str(LOADER), str(image), str(bundle)], capture_output=True, text=True, timeout=300)


def sign_bundle(tmp_path, key, size="32M", threads=2):
    app = tmp_path / "app"
    app.mkdir(exist_ok=True)
    (app / "hello").write_bytes(b"\x7fELF not run here\n")
    y = tmp_path / "app.yaml"
    y.write_text(MANIFEST.format(app=app, size=size, threads=threads))
    out = tmp_path / "app.coffer"
    r = cli("sign", "--key", key, y, "-o", out)
    assert r.returncode == 0, r.stderr
    mre = re.search(r"^MRENCLAVE ([0-9a-f]{64})$", r.stdout, re.M).group(1)
    return out, mre


def measured(bundle):
    r = cli("measure", bundle)
    assert r.returncode == 0, r.stderr
    assert "enclave:   matches" in r.stdout, r.stdout
    return re.search(r"^mrenclave: ([0-9a-f]{64})$", r.stdout, re.M).group(1)


@pytest.mark.parametrize("size,threads", [("32M", 2), ("64M", 5)])
def test_bundle_loads_on_sgx_sim_with_the_signed_identity_and_enters(tmp_path, key, size, threads):
    bundle, signed = sign_bundle(tmp_path, key, size, threads)
    r = load(IMAGE, bundle)
    if r.returncode == 77:
        pytest.skip("no Syscall User Dispatch on this kernel")
    assert r.returncode == 0, r.stdout + r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] == f"MRENCLAVE {signed}", lines
    assert measured(bundle) == signed
    image_at = re.fullmatch(r"image at ELRANGE\+0x([0-9a-f]{12})", lines[1]).group(1)
    # written by the enclave through its OCALL, from pointers its own
    # relocation fixed, naming where its ELF header lies in ELRANGE
    assert lines[2] == f"sgx-sim: enclave entered, image at ELRANGE+0x{image_at}", lines
    assert lines[3] == f"ECALL returned {len(lines[2]) + 1}", lines


def test_large_enclave_builds_without_committing_its_heap(tmp_path, key):
    """A 4 GiB enclave: its heap and stacks are pages of zeros, which the
    simulator leaves untouched (ELRANGE is fresh anonymous memory), so the
    build commits what the image and manifest hold, not 4 GiB."""
    bundle, signed = sign_bundle(tmp_path, key, "4G", 2)
    r = load(IMAGE, bundle)
    if r.returncode == 77:
        pytest.skip("no Syscall User Dispatch on this kernel")
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.splitlines()[0] == f"MRENCLAVE {signed}"
    kib = int(re.search(r"^peak resident (\d+) kB$", r.stdout, re.M).group(1))
    assert kib < 64 * 1024, r.stdout


def refused(r, stage, why):
    assert r.returncode == 125, r.stdout + r.stderr
    assert f"sgx-sim: {stage} refused the enclave: " in r.stdout and why in r.stdout, r.stdout


def tamper_manifest(bundle):
    """A byte of the trusted file's hash in the manifest: still a valid
    manifest, another measurement."""
    data = bytearray(bundle.read_bytes())
    at = bytes(data).index(hashlib.sha256(b"\x7fELF not run here\n").digest())
    data[at] ^= 1
    bundle.write_bytes(bytes(data))


def test_tampered_manifest_byte_refused_by_einit(tmp_path, key):
    bundle, _ = sign_bundle(tmp_path, key)
    tamper_manifest(bundle)
    refused(load(IMAGE, bundle), "EINIT", "ENCLAVEHASH")


def patched_image(tmp_path, find, mask):
    """A copy of coffer-enclave with one byte changed: the first of find."""
    data = bytearray(IMAGE.read_bytes())
    data[bytes(data).index(find)] ^= mask
    image = tmp_path / "coffer-enclave"
    image.write_bytes(bytes(data))
    return image


def test_tampered_image_byte_refused_by_einit(tmp_path, key):
    bundle, _ = sign_bundle(tmp_path, key)
    image = patched_image(tmp_path, b"sgx-sim: enclave entered", 0x20)  # a measured byte of .rodata
    refused(load(image, bundle), "EINIT", "ENCLAVEHASH")


def test_image_without_sgx_entry_refused(tmp_path, key):
    bundle, _ = sign_bundle(tmp_path, key)
    image = patched_image(tmp_path, b"Coffer\0\0", 1)  # the note's name: no longer Coffer's
    refused(load(image, bundle), "the inputs", "no sgx entry point")


def driver(image, bundle, *extra):
    return subprocess.run([str(DRIVER), str(image), str(bundle), *extra], capture_output=True, text=True,
                          timeout=300)


def test_bundle_pages_through_the_fake_driver_give_the_signed_identity(tmp_path, key):
    bundle, signed = sign_bundle(tmp_path, key, "64M", 3)
    r = driver(IMAGE, bundle)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr
    m = re.search(r"^real enclave: (\d+) pages .* MRENCLAVE ([0-9a-f]{64})$", r.stdout, re.M)
    assert m and m.group(2) == signed, r.stdout[-2000:]
    # at most every page of ELRANGE but the guards (two per thread, two
    # around the manifest); holes between segments are not added either
    assert 16384 - 2 * 3 - 2 - 16 <= int(m.group(1)) <= 16384 - 2 * 3 - 2


def test_tampered_bundle_refused_by_the_fake_drivers_einit(tmp_path, key):
    bundle, _ = sign_bundle(tmp_path, key)
    tamper_manifest(bundle)
    r = driver(IMAGE, bundle, "refused")
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr
    assert "real enclave refused: " in r.stdout and "ENCLAVEHASH" in r.stdout, r.stdout[-2000:]
