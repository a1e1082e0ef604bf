"""Audio and video re-muxed with PyAV (FFmpeg's libraries) without any metadata.

The packets of the audio and video streams are copied as they are (no re-encoding, so no loss
and little CPU); nothing else is: no container or stream tags (``©xyz`` GPS, ``©mak``/``©mod``
device, owner, ID3 and RIFF INFO tags, creation times), no data, subtitle or timecode tracks,
no chapters, no attached pictures, no encoder string (``bitexact``). A file that FFmpeg cannot
demux, or that has no audio or video stream, is refused. Blocking: run in a thread.
"""

from __future__ import annotations

from pathlib import Path

import av

# Per-muxer options that keep tags out of formats that would write some on their own.
_MUXER_OPTIONS: dict[str, dict[str, str]] = {
    "mp3": {"id3v2_version": "0", "write_id3v1": "0", "write_xing": "0"},
    "wav": {"write_bext": "0"},
}


class AVRejected(Exception):
    pass


def remux_without_metadata(source: Path, target: Path, av_format: str) -> None:
    try:
        with av.open(str(source), mode="r", metadata_errors="ignore") as inp:
            streams = [
                s
                for s in inp.streams
                if s.type in {"audio", "video"}
                and not s.disposition & av.stream.Disposition.attached_pic
            ]
            if not streams:
                raise AVRejected("no audio or video")
            with av.open(
                str(target),
                mode="w",
                format=av_format,
                options=_MUXER_OPTIONS.get(av_format, {}),
                container_options={"fflags": "+bitexact"},
            ) as out:
                mapping = {}
                for stream in streams:
                    copy = out.add_stream_from_template(stream)
                    copy.metadata.clear()
                    mapping[stream.index] = copy
                for packet in inp.demux(streams):
                    if packet.dts is None:
                        continue
                    packet.stream = mapping[packet.stream.index]
                    out.mux(packet)
                out.metadata.clear()
    except AVRejected:
        raise
    except (av.FFmpegError, OSError, ValueError, KeyError) as exc:
        raise AVRejected(type(exc).__name__) from None
