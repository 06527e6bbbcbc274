/** What the face-swap steps pass between them: detected faces in source-image pixels. */

export type Point = readonly [number, number];

export interface Face {
  /** [x1, y1, x2, y2] in source-image pixels. */
  box: [number, number, number, number];
  score: number;
  /** Left eye, right eye (as seen in the picture), nose tip, left and right mouth corner. */
  landmarks: [Point, Point, Point, Point, Point];
}
