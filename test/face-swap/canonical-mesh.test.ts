/**
 * The canonical face mesh extracted from @mediapipe/face_mesh: a well-formed triangulation (one
 * disc over all 468 landmarks, consistently wound), and one that fits FaceMesh's landmark
 * numbering: laid over the landmarks the tfjs FaceMesh found on real faces (the golden file of
 * the converter's parity test), nearly every triangle keeps its canonical orientation.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { canonicalMesh, MESH_VERTICES, parseCanonicalMesh } from '../../src/pipelines/face-swap/mesh/canonical-mesh.js';
import { FIXTURES } from '../helpers/http.js';

type P = readonly [number, number];
const cross = (a: P, b: P, c: P) => (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0]);

describe('canonical face mesh', () => {
  const mesh = canonicalMesh();

  it('has 898 triangles over all 468 vertices, with canonical 3D positions and texture coordinates', () => {
    expect(mesh.triangles).toHaveLength(898);
    expect(mesh.vertices).toHaveLength(MESH_VERTICES);
    expect(mesh.uv).toHaveLength(MESH_VERTICES);
    expect(new Set(mesh.triangles.flat()).size).toBe(MESH_VERTICES);
    // Landmark 4 (nose tip) is the point nearest the viewer; 10 (forehead) is above 152 (chin).
    const z = mesh.vertices.map((v) => v[2]);
    expect(z.indexOf(Math.max(...z))).toBe(4);
    expect(mesh.vertices[10][1]).toBeGreaterThan(mesh.vertices[152][1]);
  });

  it('is one disc: every edge in one or two triangles, one boundary loop (the face outline), consistent winding', () => {
    const edges = new Map<string, number>();
    const directed = new Set<string>();
    for (const t of mesh.triangles) {
      for (let k = 0; k < 3; k++) {
        const a = t[k];
        const b = t[(k + 1) % 3];
        const key = a < b ? `${a},${b}` : `${b},${a}`;
        edges.set(key, (edges.get(key) ?? 0) + 1);
        // A directed edge used twice would mean two neighbours wound in opposite directions.
        expect(directed.has(`${a}>${b}`)).toBe(false);
        directed.add(`${a}>${b}`);
      }
    }
    expect([...edges.values()].every((n) => n === 1 || n === 2)).toBe(true);
    const boundary = [...edges].filter(([, n]) => n === 1).map(([k]) => k.split(',').map(Number));
    expect(MESH_VERTICES - edges.size + mesh.triangles.length).toBe(1); // Euler characteristic of a disc
    // Walk the boundary: a single cycle through all its vertices.
    const next = new Map<number, number[]>();
    for (const [a, b] of boundary) {
      next.set(a, [...(next.get(a) ?? []), b]);
      next.set(b, [...(next.get(b) ?? []), a]);
    }
    expect([...next.values()].every((n) => n.length === 2)).toBe(true);
    let [prev, at] = boundary[0];
    let steps = 1;
    while (at !== boundary[0][0]) {
      const [n1, n2] = next.get(at) as number[];
      [prev, at] = [at, n1 === prev ? n2 : n1];
      steps += 1;
    }
    expect(steps).toBe(boundary.length);
    const windings = mesh.triangles.map(([a, b, c]) => Math.sign(cross(mesh.uv[a], mesh.uv[b], mesh.uv[c])));
    expect(new Set(windings).size).toBe(1);
  });

  it('fits the FaceMesh landmarks of real faces: at least 95% of triangles keep their orientation', () => {
    const golden = JSON.parse(readFileSync(join(FIXTURES, 'tfjs', 'golden.json'), 'utf8')) as { facemesh: { faces: { mesh: number[] }[] } };
    const uvSign = Math.sign(cross(mesh.uv[mesh.triangles[0][0]], mesh.uv[mesh.triangles[0][1]], mesh.uv[mesh.triangles[0][2]]));
    for (const face of golden.facemesh.faces) {
      const p = (i: number): P => [face.mesh[i * 3], face.mesh[i * 3 + 1]];
      const kept = mesh.triangles.filter(([a, b, c]) => Math.sign(cross(p(a), p(b), p(c))) === uvSign).length;
      expect(kept / mesh.triangles.length).toBeGreaterThan(0.95);
      // The same triangles with a shuffled numbering would not fit (the check can fail).
      const shuffled = (i: number): P => p((i * 7 + 13) % MESH_VERTICES);
      const keptShuffled = mesh.triangles.filter(([a, b, c]) => Math.sign(cross(shuffled(a), shuffled(b), shuffled(c))) === uvSign).length;
      expect(keptShuffled / mesh.triangles.length).toBeLessThan(0.7);
    }
  });

  it('rejects a damaged mesh document with a message naming the field', () => {
    const good = { triangles: mesh.triangles, vertices: mesh.vertices, uv: mesh.uv };
    expect(() => parseCanonicalMesh({ ...good, triangles: [[0, 1, 468]] })).toThrow(/"triangles"/);
    expect(() => parseCanonicalMesh({ ...good, vertices: mesh.vertices.slice(1) })).toThrow(/"vertices"/);
    expect(() => parseCanonicalMesh({ ...good, uv: mesh.uv.map(() => [2, 0]) })).toThrow(/"uv"/);
    expect(parseCanonicalMesh(good).triangles).toHaveLength(898);
  });
});
