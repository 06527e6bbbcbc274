/** A1111 clients send images as bare base64 or as data: URIs; the task API takes data: URIs. */
export function a1111DataUri(image: string): string {
  if (/^data:/i.test(image)) return image;
  // sharp reads the real format from the bytes; the media type only has to be an image one.
  return `data:image/png;base64,${image}`;
}
