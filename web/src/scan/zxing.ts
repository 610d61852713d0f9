/**
 * ZXing's DataMatrix reader, for browsers without `BarcodeDetector` (Firefox, desktop Chrome on Linux and
 * Windows). Loaded on demand: it is most of the page's weight and only the camera and photo paths need it.
 */
import { BrowserDatamatrixCodeReader, IScannerControls } from '@zxing/browser';
import { DecodeHintType } from '@zxing/library';

const reader = new BrowserDatamatrixCodeReader(new Map<DecodeHintType, unknown>([[DecodeHintType.TRY_HARDER, true]]));

/** The text of the DataMatrix on the canvas, or null. */
export function decodeCanvas(canvas: HTMLCanvasElement): string | null {
  try {
    return reader.decodeFromCanvas(canvas).getText();
  } catch {
    return null;
  }
}

/** Reads from the camera into `video` until a code is seen; returns a function that stops the camera. */
export async function decodeCamera(video: HTMLVideoElement, onCode: (text: string) => void): Promise<() => void> {
  const controls: IScannerControls = await reader.decodeFromConstraints(
    { video: { facingMode: 'environment' }, audio: false },
    video,
    (result, _error, running) => {
      if (!result) return;
      running.stop();
      onCode(result.getText());
    },
  );
  return () => controls.stop();
}
