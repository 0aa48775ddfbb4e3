#!/usr/bin/env python3
"""Derives a test image from an OCI layout: one new gzip layer with the given files, and
config changes (user, cmd). Writes a new single-image OCI layout (tag "latest").

  derive_image.py BASE_LAYOUT OUT_LAYOUT [--add HOST:PATH[:MODE]]... [--user U] [--cmd JSON]

(Debian's umoci 0.4.7 writes truncated layers on `umoci insert`, which capstan rightly
refuses, so the critest images are made here.)"""
import argparse, gzip, hashlib, io, json, os, shutil, tarfile


def blob_path(layout, digest):
    return os.path.join(layout, "blobs", "sha256", digest.split(":", 1)[1])


def write_blob(layout, data):
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    path = blob_path(layout, digest)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)
    return digest


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("base")
    ap.add_argument("out")
    ap.add_argument("--add", action="append", default=[])
    ap.add_argument("--user")
    ap.add_argument("--cmd")
    a = ap.parse_args()

    shutil.rmtree(a.out, ignore_errors=True)
    shutil.copytree(a.base, a.out)
    index = json.load(open(os.path.join(a.out, "index.json")))
    mdesc = index["manifests"][0]
    manifest = json.load(open(blob_path(a.out, mdesc["digest"])))
    config = json.load(open(blob_path(a.out, manifest["config"]["digest"])))

    layers = []
    if a.add:
        raw = io.BytesIO()
        with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
            dirs = set()
            for spec in a.add:
                parts = spec.split(":")
                host, path = parts[0], parts[1].lstrip("/")
                mode = int(parts[2], 8) if len(parts) > 2 else None
                d = os.path.dirname(path)
                while d and d not in dirs:
                    dirs.add(d)
                    d = os.path.dirname(d)
                for d in sorted(dirs):
                    if d in {m.name for m in tar.getmembers()}:
                        continue
                    ti = tarfile.TarInfo(d)
                    ti.type, ti.mode = tarfile.DIRTYPE, 0o755
                    tar.addfile(ti)
                ti = tar.gettarinfo(host, arcname=path)
                ti.uid = ti.gid = 0
                ti.uname = ti.gname = "root"
                ti.mtime = 0
                if mode is not None:
                    ti.mode = mode
                with open(host, "rb") as f:
                    tar.addfile(ti, f)
        raw_bytes = raw.getvalue()
        gz = gzip.compress(raw_bytes, mtime=0)
        layers.append(("sha256:" + hashlib.sha256(raw_bytes).hexdigest(), write_blob(a.out, gz), len(gz)))

    for diff_id, digest, size in layers:
        config["rootfs"]["diff_ids"].append(diff_id)
        manifest["layers"].append({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                                   "digest": digest, "size": size})
    cfg = config.setdefault("config", {})
    if a.user is not None:
        cfg["User"] = a.user
    if a.cmd is not None:
        cfg["Cmd"] = json.loads(a.cmd)
    cdata = json.dumps(config, separators=(",", ":")).encode()
    manifest["config"]["digest"] = write_blob(a.out, cdata)
    manifest["config"]["size"] = len(cdata)
    mdata = json.dumps(manifest, separators=(",", ":")).encode()
    mdesc = dict(mdesc, digest=write_blob(a.out, mdata), size=len(mdata))
    mdesc["annotations"] = {"org.opencontainers.image.ref.name": "latest"}
    index["manifests"] = [mdesc]
    with open(os.path.join(a.out, "index.json"), "w") as f:
        json.dump(index, f)


if __name__ == "__main__":
    main()
