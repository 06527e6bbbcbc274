/**
 * Face regions as sets of FaceMesh landmark indices (MediaPipe's standard contour sets). Each
 * region is filled as the convex hull of its points, which needs no vertex order and is exact
 * for these shapes except the lips ring, which is the mouth hull minus the inner-lip hull.
 */
export const FACE_REGIONS = ['skin', 'eyes', 'eyebrows', 'nose', 'mouth', 'lips'] as const;
export type FaceRegion = (typeof FACE_REGIONS)[number];

export const FACE_OVAL = [10, 338, 297, 332, 284, 251, 389, 356, 454, 323, 361, 288, 397, 365, 379, 378, 400, 377, 152, 148, 176, 149,
  150, 136, 172, 58, 132, 93, 234, 127, 162, 21, 54, 103, 67, 109];
export const LIPS_OUTER = [61, 146, 91, 181, 84, 17, 314, 405, 321, 375, 291, 409, 270, 269, 267, 0, 37, 39, 40, 185];
export const LIPS_INNER = [78, 95, 88, 178, 87, 14, 317, 402, 318, 324, 308, 415, 310, 311, 312, 13, 82, 81, 80, 191];
export const RIGHT_EYE = [33, 7, 163, 144, 145, 153, 154, 155, 133, 173, 157, 158, 159, 160, 161, 246];
export const LEFT_EYE = [263, 249, 390, 373, 374, 380, 381, 382, 362, 398, 384, 385, 386, 387, 388, 466];
export const RIGHT_BROW = [46, 53, 52, 65, 55, 70, 63, 105, 66, 107];
export const LEFT_BROW = [276, 283, 282, 295, 285, 300, 293, 334, 296, 336];
/** Bridge, sides of the nose and the nostril wings. */
export const NOSE = [168, 6, 197, 195, 5, 4, 1, 19, 94, 2, 98, 97, 326, 327, 64, 294, 48, 278, 115, 344, 220, 440, 193, 417, 122, 351,
  240, 460, 129, 358];

/** Hulls to add and hulls to cut out, per region. */
export interface RegionShape {
  add: (readonly number[])[];
  cut: (readonly number[])[];
}

export function regionShape(region: FaceRegion): RegionShape {
  switch (region) {
    case 'skin': return { add: [FACE_OVAL], cut: [RIGHT_EYE, LEFT_EYE, RIGHT_BROW, LEFT_BROW, LIPS_OUTER] };
    case 'eyes': return { add: [RIGHT_EYE, LEFT_EYE], cut: [] };
    case 'eyebrows': return { add: [RIGHT_BROW, LEFT_BROW], cut: [] };
    case 'nose': return { add: [NOSE], cut: [] };
    case 'mouth': return { add: [LIPS_OUTER], cut: [] };
    case 'lips': return { add: [LIPS_OUTER], cut: [LIPS_INNER] };
  }
}
