"""The serving benchmark's memory part: what image-zip uploads cost the server, and what it gives back once the sessions end.

Owns the upload data (eight different zips of 3 x 1,100 64x64 PNGs, built in child processes),
the measurement (the server's RSS after the first page load, after each upload in a session of its
own, and after every session has closed and its TTL has passed) and its report lines with the two
targets: the eight uploads add <= 512 MiB, and the server ends within 256 MiB of its first reading.
benchmarks/bench_serve.py runs it; benchmarks/serve_driver.py drives the server and the browser.
"""

from __future__ import annotations

import io
import os
import time
import zipfile
from pathlib import Path

import numpy as np

from benchmarks.serve_driver import MIB, TTL_SECONDS, Server, memory, new_session, upload, verdict

UPLOADS, PER_CLASS, SIDE = 8, 1_100, 64
SHAPES = ("circle", "square", "triangle")
GROWTH_BUDGET = 512 * 2**20  # bytes the eight uploads may add to the server's RSS, in all (64 MiB each)
SETTLE_BUDGET = 256 * 2**20  # bytes above the first reading the server may keep once every session is gone
SETTLE_POLL_SECONDS = 30  # how long to watch the RSS fall after the sessions close


# -- the data ---------------------------------------------------------------------------------------
def picture(rng: np.random.Generator, shape: str):
    """One 64x64 RGB PNG-to-be: a coloured shape on a flat background with a sprinkle of noise (it compresses, but not to nothing)."""
    from PIL import Image, ImageDraw

    background = tuple(int(v) for v in rng.integers(0, 8, 3) * 32)
    img = Image.new("RGB", (SIDE, SIDE), background)
    draw = ImageDraw.Draw(img)
    r = int(rng.integers(10, 26))
    cx, cy = (int(v) for v in rng.integers(r, SIDE - r, 2))
    colour = tuple(int(v) for v in rng.integers(0, 256, 3))
    if shape == "circle":
        draw.ellipse([cx - r, cy - r, cx + r, cy + r], fill=colour)
    elif shape == "square":
        draw.rectangle([cx - r, cy - r, cx + r, cy + r], fill=colour)
    else:
        draw.polygon([(cx, cy - r), (cx - r, cy + r), (cx + r, cy + r)], fill=colour)
    pixels = np.asarray(img, dtype=np.int16)
    noise = rng.integers(-24, 25, size=(SIDE, SIDE, 1)) * (rng.random((SIDE, SIDE, 1)) < 0.015)
    return Image.fromarray(np.clip(pixels + noise, 0, 255).astype(np.uint8))


def image_zip(path: Path, seed: int, per_class: int = PER_CLASS) -> int:
    """root/<class>/<image>.png, every zip different (its own seed); returns its size in bytes."""
    rng = np.random.default_rng(seed)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:  # PNGs are compressed already
        for shape in SHAPES:
            for i in range(per_class):
                buffer = io.BytesIO()
                picture(rng, shape).save(buffer, "PNG")
                archive.writestr(f"shapes{seed}/{shape}/{shape}_{i:05d}.png", buffer.getvalue())
    return path.stat().st_size


def build_zips(folder: Path) -> list[Path]:
    """The eight upload zips, built two at a time in child processes (PNG encoding is the slow part)."""
    from concurrent.futures import ProcessPoolExecutor

    paths = [folder / f"shapes{i + 1}.zip" for i in range(UPLOADS)]
    with ProcessPoolExecutor(max_workers=min(2, os.cpu_count() or 1)) as pool:
        list(pool.map(image_zip, paths, [1000 + i for i in range(UPLOADS)]))
    return paths


# -- the measurement and its report -----------------------------------------------------------------
def measure_memory(browser, server: Server, zips: list[Path], say) -> dict:
    first_context, first_page = new_session(browser, server.url)
    time.sleep(1.0)
    baseline = memory(server.pid)
    say(f"  server RSS after the first page load: {baseline['VmRSS'] / MIB:.0f} MiB (heap {baseline['RssAnon'] / MIB:.0f} MiB)")
    contexts, opened, after = [first_context], [baseline], []
    for i, path in enumerate(zips):
        if i == 0:
            page = first_page
        else:
            context, page = new_session(browser, server.url)
            contexts.append(context)
            opened.append(memory(server.pid))
        start = time.perf_counter()
        upload(page, path)
        seconds = time.perf_counter() - start
        reading = memory(server.pid)
        after.append({**reading, "upload_s": seconds})
        say(f"  session {i + 1}: opened at RSS {opened[-1]['VmRSS'] / MIB:.0f} MiB, after its upload ({path.stat().st_size / MIB:.1f} MiB zip, "
            f"{seconds:.1f} s) {reading['VmRSS'] / MIB:.0f} MiB (+{(reading['VmRSS'] - baseline['VmRSS']) / MIB:.0f} over baseline; "
            f"heap {reading['RssAnon'] / MIB:.0f} MiB, mapped files {reading['RssFile'] / MIB:.0f} MiB)")
    for context in contexts:
        context.close()
    closed = time.monotonic()
    # Streamlit keeps a closed session for the TTL, then forgets it only lazily: its session storage reaps expired
    # entries on its next write, i.e. when some session disconnects. So after the TTL one more visitor comes and goes.
    time.sleep(TTL_SECONDS + 1)
    expired = memory(server.pid)
    probe, _ = new_session(browser, server.url)
    probe.close()
    reaped = time.monotonic()
    settled, trail = memory(server.pid), []
    while time.monotonic() - reaped < SETTLE_POLL_SECONDS:
        time.sleep(1.0)
        settled = memory(server.pid)
        trail.append((round(time.monotonic() - closed, 1), settled["VmRSS"]))
        if time.monotonic() - reaped > 5 and settled["VmRSS"] - baseline["VmRSS"] <= 32 * MIB:
            break
    say(f"  {TTL_SECONDS + 1} s after closing every session (TTL passed, nobody else came): RSS {expired['VmRSS'] / MIB:.0f} MiB, "
        f"heap {expired['RssAnon'] / MIB:.0f} MiB")
    say(f"  {time.monotonic() - closed:.0f} s after closing, one more visitor came and went (Streamlit drops expired sessions "
        f"on its next session write): RSS {settled['VmRSS'] / MIB:.0f} MiB, heap {settled['RssAnon'] / MIB:.0f} MiB, "
        f"peak (VmHWM) {settled['VmHWM'] / MIB:.0f} MiB")
    return {"baseline": baseline, "opened": opened, "after_uploads": after, "ttl_passed": expired, "settled": settled,
            "settle_trail": trail, "zip_bytes": [p.stat().st_size for p in zips]}


def report_memory(m: dict) -> bool:
    """The memory lines of the report; True when both targets are met."""
    base, top, settled = m["baseline"]["VmRSS"], m["after_uploads"][-1]["VmRSS"], m["settled"]["VmRSS"]
    added, uploads = top - base, len(m["after_uploads"])
    growth_ok, settle_ok = added <= GROWTH_BUDGET, settled - base <= SETTLE_BUDGET
    print(f"serve_rss_baseline        {base / MIB:8.0f} MiB  (server process after the first page load; training workers not counted)")
    print(f"serve_rss_{uploads}_uploads       {top / MIB:8.0f} MiB  +{added / MIB:.0f} MiB, {added / uploads / MIB:.0f} MiB per upload "
          f"(target <= +{GROWTH_BUDGET / MIB:.0f} MiB for {uploads}; the issue's ~1.1 GiB per upload would be "
          f"{uploads * 1.1:.1f} GiB)  {verdict(growth_ok)}")
    expired = m["ttl_passed"]["VmRSS"]
    print(f"serve_rss_ttl_passed      {expired / MIB:8.0f} MiB  +{(expired - base) / MIB:.0f} MiB over baseline "
          f"({TTL_SECONDS + 1} s after the last session closed, before anyone else connected)")
    print(f"serve_rss_sessions_gone   {settled / MIB:8.0f} MiB  +{(settled - base) / MIB:.0f} MiB over baseline "
          f"(target <= +{SETTLE_BUDGET / MIB:.0f} MiB once the sessions are gone)  {verdict(settle_ok)}")
    released = top - settled
    print(f"serve_rss_released        {round(released / MIB):8d} MiB  of the {added / MIB:.0f} MiB the uploads added "
          f"({released / added if added > 0 else 0:.0%}; heap {m['after_uploads'][-1]['RssAnon'] / MIB:.0f} -> "
          f"{m['settled']['RssAnon'] / MIB:.0f} MiB, mapped files {m['after_uploads'][-1]['RssFile'] / MIB:.0f} -> "
          f"{m['settled']['RssFile'] / MIB:.0f} MiB; no target)")
    print(f"serve_rss_peak            {m['settled']['VmHWM'] / MIB:8.0f} MiB  (VmHWM: the highest RSS the server reached)")
    return growth_ok and settle_ok
