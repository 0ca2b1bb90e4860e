"""Real media for the broadcast tests: HLS made by ffmpeg, served over HTTP, and nginx-rtmp.

Nothing here is a stand-in: ffmpeg encodes a test pattern and a tone (H.264 and
AAC, what browsers play), a plain HTTP server serves the files with the CORS
header a player on another origin needs, and nginx with its RTMP module calls
the app's hooks and writes HLS. Tests skip with the reason when a program is
missing (``make setup-test`` installs them).
"""

from __future__ import annotations

import functools
import getpass
import http.server
import shutil
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

NGINX_RTMP_MODULE = Path("/usr/lib/nginx/modules/ngx_rtmp_module.so")


def need(program: str) -> str:
    path = shutil.which(program) or (
        f"/usr/sbin/{program}" if Path(f"/usr/sbin/{program}").exists() else None
    )
    if path is None:
        pytest.skip(f"{program} is not installed (make setup-test installs it with apt)")
    return path


def make_hls(directory: Path, *, seconds: int, name: str = "index") -> Path:
    """Encode ``seconds`` of test pattern and tone as an HLS VOD; return its playlist."""
    ffmpeg = need("ffmpeg")
    directory.mkdir(parents=True, exist_ok=True)
    playlist = directory / f"{name}.m3u8"
    subprocess.run(
        [ffmpeg, "-loglevel", "error", "-y",
         "-f", "lavfi", "-i", "testsrc=size=320x240:rate=25",
         "-f", "lavfi", "-i", "sine=frequency=440",
         "-t", str(seconds), "-c:v", "libx264", "-preset", "ultrafast", "-g", "25",
         "-c:a", "aac", "-f", "hls", "-hls_time", "2", "-hls_list_size", "0",
         "-hls_playlist_type", "vod", str(playlist)],
        check=True,
        timeout=120,
    )  # fmt: skip
    return playlist


def make_hls_with_audio_rendition(directory: Path, *, seconds: int) -> Path:
    """Encode a multivariant HLS VOD: one variant with video and audio, one with the
    audio alone (``CODECS="mp4a.40.2"``), as an encoder offering an audio-only
    choice writes it; return the multivariant playlist (``index.m3u8``)."""
    ffmpeg = need("ffmpeg")
    directory.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [ffmpeg, "-loglevel", "error", "-y",
         "-f", "lavfi", "-i", "testsrc=size=320x240:rate=25",
         "-f", "lavfi", "-i", "sine=frequency=440",
         "-t", str(seconds), "-map", "0:v", "-map", "1:a", "-map", "1:a",
         "-c:v", "libx264", "-preset", "ultrafast", "-g", "25", "-c:a", "aac",
         "-f", "hls", "-hls_time", "2", "-hls_list_size", "0", "-hls_playlist_type", "vod",
         "-master_pl_name", "index.m3u8",
         "-var_stream_map", "v:0,a:0,name:video a:1,name:audio",
         "-hls_segment_filename", str(directory / "%v_%03d.ts"), str(directory / "%v.m3u8")],
        check=True,
        timeout=120,
    )  # fmt: skip
    return directory / "index.m3u8"


class _CorsHandler(http.server.SimpleHTTPRequestHandler):
    def end_headers(self) -> None:
        self.send_header("Access-Control-Allow-Origin", "*")
        self.send_header("Cache-Control", "no-cache")
        super().end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


@contextmanager
def serve_directory(directory: Path) -> Iterator[str]:
    """Serve ``directory`` on a free loopback port; yield its base URL."""
    handler = functools.partial(_CorsHandler, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


NGINX_CONF = """\
load_module {module};
daemon off;
user {user};
pid {prefix}/nginx.pid;
error_log {prefix}/error.log info;
events {{ worker_connections 256; }}
rtmp {{
  server {{
    listen 127.0.0.1:{rtmp_port};
    application live {{
      live on;
      on_publish {hook};
      on_publish_done {hook};
    }}
    application hls {{
      live on;
      allow publish 127.0.0.1;
      deny publish all;
      hls on;
      hls_path {prefix}/hls;
      hls_fragment 1s;
      hls_playlist_length 20s;
    }}
  }}
}}
http {{
  access_log off;
  client_body_temp_path {prefix}/tmp;
  types {{ application/vnd.apple.mpegurl m3u8; video/mp2t ts; }}
  server {{
    listen 127.0.0.1:{http_port};
    location /hls/ {{
      root {prefix};
      add_header Access-Control-Allow-Origin * always;
      add_header Cache-Control no-cache always;
    }}
  }}
}}
"""


@contextmanager
def nginx_rtmp(prefix: Path, *, hook: str, rtmp_port: int, http_port: int) -> Iterator[None]:
    """Run nginx with the RTMP module: ``live`` calls ``hook``, ``hls`` writes HLS."""
    nginx = need("nginx")
    if not NGINX_RTMP_MODULE.exists():
        pytest.skip("nginx's RTMP module is not installed (apt install libnginx-mod-rtmp)")
    (prefix / "hls").mkdir(parents=True, exist_ok=True)
    (prefix / "tmp").mkdir(exist_ok=True)
    conf = prefix / "nginx.conf"
    conf.write_text(
        NGINX_CONF.format(
            module=NGINX_RTMP_MODULE,
            # Workers run as this user (when root), who can reach pytest's temporary files.
            user=getpass.getuser(),
            prefix=prefix,
            hook=hook,
            rtmp_port=rtmp_port,
            http_port=http_port,
        )
    )
    process = subprocess.Popen(
        [nginx, "-c", str(conf), "-p", str(prefix)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def publish(ffmpeg: str, url: str, *, seconds: int) -> subprocess.Popen[bytes]:
    """Publish a test pattern and tone over RTMP in real time, as an encoder would."""
    return subprocess.Popen(
        [ffmpeg, "-loglevel", "error", "-re",
         "-f", "lavfi", "-i", "testsrc=size=320x240:rate=25",
         "-f", "lavfi", "-i", "sine=frequency=440",
         "-t", str(seconds), "-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency",
         "-g", "25", "-c:a", "aac", "-f", "flv", url],
        stdin=subprocess.DEVNULL,
    )  # fmt: skip
