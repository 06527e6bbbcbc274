/**
 * Head yaw from the FaceMesh points, for the mesh engine's pose guard: the angle of the line
 * between the two cheek contour points (234 on the image left, 454 on the right) out of the
 * image plane, from their depth difference against their in-plane distance (0 = frontal). Only
 * differences between two faces are compared, so the sign convention does not matter.
 */
import { TaskError } from '../../tasks/task-errors.js';

const RIGHT_CHEEK = 234;
const LEFT_CHEEK = 454;

export function yawDegrees(points: Float32Array): number {
  const a = 3 * RIGHT_CHEEK, b = 3 * LEFT_CHEEK;
  const inPlane = Math.hypot(points[b] - points[a], points[b + 1] - points[a + 1]);
  return (Math.atan2(points[b + 2] - points[a + 2], inPlane) * 180) / Math.PI;
}

/** The mesh engine refuses pairs whose yaw differs by more than this (the warp would melt the face). */
export const MAX_YAW_DIFFERENCE = 30;

/** The pose guard: throws a TaskError saying what to change when the two yaws differ too much. */
export function checkPose(sourcePts: Float32Array, targetPts: Float32Array, targetIndex: number): void {
  const diff = Math.abs(yawDegrees(targetPts) - yawDegrees(sourcePts));
  if (diff <= MAX_YAW_DIFFERENCE) return;
  throw new TaskError(`the source face and target face ${targetIndex} are turned ${Math.round(diff)}° apart (the mesh engine allows ${MAX_YAW_DIFFERENCE}°): `
    + 'use a source photo in a similar pose, pick other faces with target_faces, or use engine "inswapper" where installed', 'invalid_params');
}
