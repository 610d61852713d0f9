import { PNG } from 'pngjs';

/**
 * A Y4M video (what Chromium's --use-file-for-fake-video-capture plays, in a loop) of one still frame: the PNG centred
 * on a white 640×480 picture, as a camera held over a package would see it.
 */
export function y4mOf(png: Buffer, width = 640, height = 480): Buffer {
  const image = PNG.sync.read(png);
  const luma = Buffer.alloc(width * height, 235);
  const left = Math.floor((width - image.width) / 2);
  const top = Math.floor((height - image.height) / 2);
  for (let y = 0; y < image.height; y++) {
    for (let x = 0; x < image.width; x++) {
      const i = (y * image.width + x) * 4;
      const [r, g, b] = [image.data[i], image.data[i + 1], image.data[i + 2]];
      // BT.601 studio range, as Chromium's fake capture expects for C420jpeg.
      luma[(top + y) * width + left + x] = Math.round(16 + (65.481 * r + 128.553 * g + 24.966 * b) / 255);
    }
  }
  const chroma = Buffer.alloc((width / 2) * (height / 2), 128); // black and white: no colour
  return Buffer.concat([
    Buffer.from(`YUV4MPEG2 W${width} H${height} F10:1 Ip A1:1 C420jpeg\n`),
    Buffer.from('FRAME\n'),
    luma,
    chroma,
    chroma,
  ]);
}
