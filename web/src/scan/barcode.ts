/**
 * DataMatrix from a photo or the camera: the browser's `BarcodeDetector` where it reads DataMatrix (Chrome on
 * Android and macOS, Safari), ZXing otherwise.
 */

interface DetectedBarcode {
  rawValue: string;
}
interface BarcodeDetectorLike {
  detect(source: CanvasImageSource): Promise<DetectedBarcode[]>;
}
interface BarcodeDetectorClass {
  new (options: { formats: string[] }): BarcodeDetectorLike;
  getSupportedFormats(): Promise<string[]>;
}

let detector: Promise<BarcodeDetectorLike | null> | undefined;

/** The native detector if this browser has one that reads DataMatrix. */
function nativeDetector(): Promise<BarcodeDetectorLike | null> {
  detector ??= (async () => {
    const Detector = (window as unknown as { BarcodeDetector?: BarcodeDetectorClass }).BarcodeDetector;
    if (!Detector) return null;
    try {
      return (await Detector.getSupportedFormats()).includes('data_matrix')
        ? new Detector({ formats: ['data_matrix'] })
        : null;
    } catch {
      return null;
    }
  })();
  return detector;
}

/** Largest side the photo is reduced to before reading (phone photos are 12 MP; the code is a small part). */
const SIZES = [1600, 900, 500];

/** The code in a picture of a DataMatrix; throws with a sentence for the pharmacist when there is none. */
export async function readPhoto(file: Blob): Promise<string> {
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(file);
  } catch {
    throw new Error('this file is not a picture the browser can open');
  }
  const native = await nativeDetector();
  const zxing = native ? null : await import('./zxing');
  const longest = Math.max(bitmap.width, bitmap.height);
  for (const scale of new Set(SIZES.map((size) => Math.min(1, size / longest)))) {
    const canvas = onCanvas(bitmap, scale);
    const text = native ? ((await native.detect(canvas))[0]?.rawValue ?? null) : zxing!.decodeCanvas(canvas);
    if (text) return text;
  }
  throw new Error('no DataMatrix found in this picture: take it closer, flat and in focus');
}

/** The picture scaled on a white canvas with a quiet zone around it (readers need one; labels are cropped tight). */
function onCanvas(bitmap: ImageBitmap, scale: number): HTMLCanvasElement {
  const width = Math.round(bitmap.width * scale);
  const height = Math.round(bitmap.height * scale);
  const margin = Math.round(Math.max(width, height) * 0.1);
  const canvas = document.createElement('canvas');
  canvas.width = width + 2 * margin;
  canvas.height = height + 2 * margin;
  const context = canvas.getContext('2d', { willReadFrequently: true })!;
  context.fillStyle = '#fff';
  context.fillRect(0, 0, canvas.width, canvas.height);
  context.imageSmoothingQuality = 'high';
  context.drawImage(bitmap, margin, margin, width, height);
  return canvas;
}

/** Starts the camera in `video` and calls `onCode` once with the first code seen; returns a stop function. */
export async function startCamera(video: HTMLVideoElement, onCode: (text: string) => void): Promise<() => void> {
  if (!navigator.mediaDevices?.getUserMedia)
    throw new Error('this browser gives no camera access to web pages (it needs HTTPS)');
  const native = await nativeDetector();
  if (!native) return (await import('./zxing')).decodeCamera(video, onCode);
  const stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' }, audio: false });
  video.srcObject = stream;
  await video.play();
  let running = true;
  const stop = () => {
    running = false;
    stream.getTracks().forEach((track) => track.stop());
    video.srcObject = null;
  };
  const look = async () => {
    if (!running) return;
    try {
      const [found] = video.readyState >= 2 ? await native.detect(video) : [];
      if (found?.rawValue && running) {
        stop();
        onCode(found.rawValue);
        return;
      }
    } catch {
      // a frame that could not be read; try the next
    }
    setTimeout(look, 120);
  };
  void look();
  return stop;
}
