"""A real Orthanc PACS with its DICOMweb plugin, started on loopback for the PACS tests.

Debian's ``orthanc`` and ``orthanc-dicomweb`` packages (``./run`` installs them with the other
test packages). :func:`running_orthanc` writes a throw-away configuration (storage in a
temporary folder, free ports, HTTP basic authentication with a random password, remote
access refused, the DICOM port closed, the DICOMweb plugin found with ``dpkg -L``), starts
the server and waits until its REST API answers. Missing packages fail the test with the
command that installs them: the PACS tests are never skipped.
"""

from __future__ import annotations

import io
import json
import secrets
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
from pydicom.dataset import Dataset

__all__ = ["Orthanc", "running_orthanc"]

_INSTALL = "apt-get install orthanc orthanc-dicomweb (or ./run test, which installs them)"


@dataclass(frozen=True)
class Orthanc:
    """A running Orthanc: its REST root, its DICOMweb root and the test user's sign-in."""

    url: str
    username: str
    password: str

    @property
    def dicomweb_url(self) -> str:
        return f"{self.url}/dicom-web"

    def request(self, method: str, path: str, **options: Any) -> requests.Response:
        """One call of the REST API, signed in; an error status raises."""
        response = requests.request(
            method, self.url + path, auth=(self.username, self.password), timeout=30, **options
        )
        response.raise_for_status()
        return response

    def store(self, dataset: Dataset) -> None:
        """Load one DICOM instance through the REST API (``POST /instances``)."""
        buffer = io.BytesIO()
        dataset.save_as(buffer, enforce_file_format=True)
        response = self.request("POST", "/instances", data=buffer.getvalue())
        assert response.json()["Status"] == "Success", response.text

    def clear(self) -> None:
        """Delete every patient (and so every study, series and instance) it holds."""
        for patient in self.request("GET", "/patients").json():
            self.request("DELETE", f"/patients/{patient}")

    def instance_count(self) -> int:
        count: int = self.request("GET", "/statistics").json()["CountInstances"]
        return count


def _free_port() -> int:
    with closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _dicomweb_plugin() -> str:
    try:
        listed = subprocess.run(
            ["dpkg", "-L", "orthanc-dicomweb"], capture_output=True, text=True, check=True
        ).stdout.split()
    except (OSError, subprocess.CalledProcessError):
        pytest.fail(f"the Orthanc DICOMweb plugin is not installed: {_INSTALL}")
    found = [path for path in listed if "DicomWeb" in path and ".so" in Path(path).name]
    if not found:
        pytest.fail(f"dpkg -L orthanc-dicomweb lists no plugin library: {_INSTALL}")
    # The unversioned name Orthanc's packaging links into its plugin folder, else any.
    return min(found, key=lambda path: (not path.endswith(".so"), path))


@contextmanager
def running_orthanc(folder: Path) -> Iterator[Orthanc]:
    """Start Orthanc with its storage and configuration in ``folder``; stop it afterwards."""
    binary = shutil.which("Orthanc") or shutil.which("Orthanc", path="/usr/sbin:/usr/bin")
    if binary is None:
        pytest.fail(f"Orthanc is not installed: {_INSTALL}")
    http_port, password = _free_port(), secrets.token_urlsafe(16)
    storage = folder / "storage"
    storage.mkdir(parents=True, exist_ok=True)
    configuration: dict[str, Any] = {
        "Name": "hipcare-tests",
        "StorageDirectory": str(storage),
        "IndexDirectory": str(storage),
        "HttpPort": http_port,
        "DicomServerEnabled": False,
        "DicomPort": _free_port(),
        "RemoteAccessAllowed": False,
        "AuthenticationEnabled": True,
        "RegisteredUsers": {"hipcare": password},
        "HttpDescribeErrors": True,
        "Plugins": [_dicomweb_plugin()],
        "DicomWeb": {"Enable": True, "Root": "/dicom-web/"},
    }
    config_path = folder / "orthanc.json"
    config_path.write_text(json.dumps(configuration), encoding="utf-8")
    log_path = folder / "orthanc.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen([binary, str(config_path)], stdout=log, stderr=log)
    server = Orthanc(f"http://127.0.0.1:{http_port}", "hipcare", password)
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                pytest.fail(f"Orthanc stopped on start:\n{log_path.read_text()[-2000:]}")
            try:
                if "dicom-web" in server.request("GET", "/plugins").json():
                    break
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"Orthanc did not answer in 30 s:\n{log_path.read_text()[-2000:]}")
            time.sleep(0.1)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:  # pragma: no cover -- Orthanc stops on SIGTERM
            process.kill()
            process.wait()
