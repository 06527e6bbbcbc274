/**
 * One-time: the canonical face mesh (468 vertices, 898 triangles) out of MediaPipe's npm package
 * @mediapipe/face_mesh (Apache-2.0) into src/pipelines/face-swap/mesh/canonical-mesh.json, the
 * triangulation the face-swap warps and region masks use. Run:
 *   npx tsx scripts/vendor/extract-canonical-mesh.ts
 * The package is not a dependency: `npm pack` fetches its tarball. Its packed-assets file holds
 * several files back to back; the loader JS lists each one's byte range. The one wanted is
 * `geometry_pipeline_metadata_landmarks.binarypb`, a GeometryPipelineMetadata protobuf
 * (mediapipe/modules/face_geometry/protos): field 1 canonical_mesh (Mesh3d: 1 vertex_type,
 * 2 primitive_type, 3 vertex_buffer packed floats x,y,z,u,v per vertex, 4 index_buffer packed
 * uint32 triangles).
 */
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { npmPackFiles } from './npm-tarball.js';

const PACKAGE = '@mediapipe/face_mesh@0.4.1657299874';
const ASSET = '/third_party/mediapipe/modules/face_geometry/data/geometry_pipeline_metadata_landmarks.binarypb';
const OUT = fileURLToPath(new URL('../../src/pipelines/face-swap/mesh/canonical-mesh.json', import.meta.url));

/** Protobuf wire format, just enough for this message: varints, length-delimited fields, fixed32. */
class Reader {
  at = 0;
  constructor(readonly buf: Buffer, readonly end = buf.length) {}
  varint(): number {
    let v = 0;
    let shift = 0;
    for (;;) {
      const b = this.buf[this.at++];
      v += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) return v;
      shift += 7;
    }
  }
  fields(): { field: number; wire: number; start: number; end: number; value: number }[] {
    const out = [];
    while (this.at < this.end) {
      const key = this.varint();
      const field = Math.floor(key / 8);
      const wire = key & 7;
      if (wire === 0) out.push({ field, wire, start: this.at, end: this.at, value: this.varint() });
      else if (wire === 2) {
        const len = this.varint();
        out.push({ field, wire, start: this.at, end: this.at + len, value: len });
        this.at += len;
      } else if (wire === 5) {
        out.push({ field, wire, start: this.at, end: this.at + 4, value: this.buf.readUInt32LE(this.at) });
        this.at += 4;
      } else if (wire === 1) {
        out.push({ field, wire, start: this.at, end: this.at + 8, value: 0 });
        this.at += 8;
      } else throw new Error(`unexpected wire type ${wire}`);
    }
    return out;
  }
}

function sub(buf: Buffer, start: number, end: number): Reader {
  const r = new Reader(buf, end);
  r.at = start;
  return r;
}

const files = npmPackFiles(PACKAGE, ['package/face_mesh_solution_packed_assets_loader.js', 'package/face_mesh_solution_packed_assets.data', 'package/package.json']);
const loader = files.get('package/face_mesh_solution_packed_assets_loader.js')!.toString('utf8');
const listing = /loadPackage\((\{"files".*?\})\);/s.exec(loader);
if (!listing) throw new Error('the loader JS has no loadPackage({...}) listing');
const entry = (JSON.parse(listing[1]) as { files: { filename: string; start: number; end: number }[] }).files.find((f) => f.filename === ASSET);
if (!entry) throw new Error(`${ASSET} is not in the packed assets`);
const pb = files.get('package/face_mesh_solution_packed_assets.data')!.subarray(entry.start, entry.end);

const mesh = new Reader(pb).fields().find((f) => f.field === 1 && f.wire === 2);
if (!mesh) throw new Error('no canonical_mesh in the metadata');
const vertexBuffer: number[] = [];
const indexBuffer: number[] = [];
for (const f of sub(pb, mesh.start, mesh.end).fields()) {
  if (f.field === 1 && f.value !== 0) throw new Error(`vertex_type ${f.value}; expected VERTEX_PT (0)`);
  if (f.field === 2 && f.value !== 0) throw new Error(`primitive_type ${f.value}; expected TRIANGLE (0)`);
  if (f.field === 3) {
    if (f.wire === 2) for (let at = f.start; at < f.end; at += 4) vertexBuffer.push(pb.readFloatLE(at));
    else vertexBuffer.push(Buffer.from(Uint32Array.of(f.value).buffer).readFloatLE(0));
  }
  if (f.field === 4) {
    if (f.wire === 2) {
      const r = sub(pb, f.start, f.end);
      while (r.at < f.end) indexBuffer.push(r.varint());
    } else indexBuffer.push(f.value);
  }
}
if (vertexBuffer.length !== 468 * 5) throw new Error(`${vertexBuffer.length / 5} vertices; expected 468`);
if (indexBuffer.length % 3 !== 0 || indexBuffer.some((i) => i >= 468)) throw new Error('the index buffer is not a list of triangles over 468 vertices');

const round = (v: number, digits: number) => Number(v.toFixed(digits));
const triangles: number[][] = [];
for (let i = 0; i < indexBuffer.length; i += 3) triangles.push(indexBuffer.slice(i, i + 3));
const vertices: number[][] = [];
const uv: number[][] = [];
for (let v = 0; v < 468; v++) {
  vertices.push(vertexBuffer.slice(v * 5, v * 5 + 3).map((x) => round(x, 6)));
  uv.push(vertexBuffer.slice(v * 5 + 3, v * 5 + 5).map((x) => round(x, 6)));
}
const version = (JSON.parse(files.get('package/package.json')!.toString('utf8')) as { version: string }).version;
const doc = {
  $comment: 'The MediaPipe canonical face mesh: vertex i is FaceMesh landmark i. Generated by scripts/vendor/extract-canonical-mesh.ts; do not edit. Licence: Apache-2.0 (LICENSE next to this file).',
  source: `npm ${PACKAGE.replace(/@[^@]*$/, '')}@${version}, face_mesh_solution_packed_assets.data bytes ${entry.start}..${entry.end} = mediapipe/modules/face_geometry/data/geometry_pipeline_metadata_landmarks.binarypb (canonical_mesh)`,
  sourceSha256: createHash('sha256').update(pb).digest('hex'),
  license: 'Apache-2.0',
  units: 'vertices in centimetres of the canonical 3D face (x towards the image right, y up, z towards the viewer), uv in [0,1] texture space',
  triangles,
  vertices,
  uv,
};
// One triangle / vertex per line keeps the file readable and diffs small.
const lines = JSON.stringify(doc, null, 2).replace(/\[\s+(-?[\d.e-]+),\s+(-?[\d.e-]+)(?:,\s+(-?[\d.e-]+))?\s+\]/g, (_m, a, b, c) => `[${a}, ${b}${c === undefined ? '' : `, ${c}`}]`);
writeFileSync(OUT, lines + '\n');
console.log(`${OUT}: ${triangles.length} triangles over ${vertices.length} vertices (from ${PACKAGE})`);
