/**
 * The scan box: what a keyboard-wedge 2D scanner types lands here, wherever the focus was.
 *
 * - Enter submits at once. A scanner that ends its codes with Enter is never cut by a timer: once this browser
 *   has seen a burst at scanner speed end with Enter, it remembers (localStorage) and never submits on a pause
 *   again. Bluetooth scanners pause mid-code (~250 ms while their buffer flushes); a pause is not the end of a code.
 * - Without an Enter (scanners configured with no suffix, in a browser that never saw one send Enter), a burst typed
 *   at scanner speed that reads as a whole product code is submitted after a pause longer than those a scanner
 *   makes mid-code. A person typing by hand is never cut short, nor is a burst whose code is still incomplete.
 * - GS (FNC1) arrives as the control character, as a printable spelling (`<GS>`, `^]`, `\x1d`, …: the server
 *   reads them all), or as Ctrl+] from scanners that emulate it with a key chord: that chord types a GS here.
 * - The box is cleared the moment a code is taken, so the next package can be scanned while the answer is on its
 *   way.
 * - Focus comes back to the box after a click anywhere that is not a control, and a printable key pressed while
 *   focus is on a button or link goes to the box. Tab still moves through the page (keyboard-only use).
 */

/** Mean time between keystrokes below which typing is a scanner's (they type a character every 1–20 ms). */
const SCANNER_MS_PER_CHAR = 35;
/**
 * Pause after a scanner burst that ends the code when no Enter comes (scanners with no suffix only): longer than the
 * pauses scanners make mid-code (Bluetooth ones ~250 ms), so a pause inside a code does not split it in two.
 */
export const IDLE_SUBMIT_MS = 600;
/** Set once a scanner-speed burst ended with Enter here: from then on only Enter ends a scan. */
const SENDS_ENTER_KEY = 'rxledger.scanner.sendsEnter';
const GS = '\u001d';

export interface Scan {
  code: string;
  /** `performance.now()` time of the keystroke (or event) that ended the scan. */
  endedAt: number;
}

export class ScanBox {
  private burst: { first: number; last: number; chars: number } | null = null;
  private idleTimer: number | undefined;
  /** Whether the scanner ends its codes with Enter (learned from the first burst that did; kept in this browser). */
  private sendsEnter = readSendsEnter();

  constructor(
    private readonly input: HTMLInputElement,
    private readonly onScan: (scan: Scan) => void,
    private readonly onChange: (text: string) => void = () => {},
    /** Whether the text is a whole product code (only such a burst is submitted without an Enter). */
    private readonly isComplete: (text: string) => boolean = () => true,
  ) {
    input.addEventListener('keydown', (event) => this.keydown(event));
    input.addEventListener('input', (event) => this.typed(event as InputEvent));
    input.addEventListener('blur', (event) => {
      // Focus left for nothing in particular (a click on the page's background): take it back.
      if (!event.relatedTarget) setTimeout(() => this.refocus(), 0);
    });
    document.addEventListener('keydown', (event) => this.strayKey(event), true);
    window.addEventListener('focus', () => this.refocus());
    document.addEventListener('visibilitychange', () => this.refocus());
  }

  focus(): void {
    this.input.focus({ preventScroll: true });
  }

  /** Back to the box unless the user is in another field or a dialog. */
  refocus(): void {
    const active = document.activeElement;
    if (active === this.input || document.visibilityState !== 'visible') return;
    if (active && active !== document.body && isTextEntry(active)) return;
    if (document.querySelector('dialog[open]')) return;
    if (active && active !== document.body && active.closest('button, a, summary, [tabindex]')) return;
    this.focus();
  }

  /** A character that started a scan elsewhere (a dialog hands it over): into the box, the scan goes on there. */
  take(char: string): void {
    this.input.focus({ preventScroll: true });
    const end = this.input.value.length;
    this.input.setRangeText(char, end, end, 'end');
    this.input.dispatchEvent(new InputEvent('input', { inputType: 'insertText', data: char }));
  }

  /** Submits what the box holds (also used by the camera and photo readers, with their own code). */
  submit(code: string, endedAt = performance.now()): void {
    window.clearTimeout(this.idleTimer);
    this.burst = null;
    const trimmed = code.replace(/[\r\n]+$/, '').trim();
    this.input.value = '';
    this.onChange('');
    if (trimmed) this.onScan({ code: trimmed, endedAt });
  }

  private keydown(event: KeyboardEvent): void {
    if (event.key === 'Enter') {
      event.preventDefault();
      // A person pasting a code and pressing Enter teaches nothing about the scanner.
      if (!this.sendsEnter && this.burst && this.typedByScanner(this.burst)) this.learnSendsEnter();
      this.submit(this.input.value, event.timeStamp);
      return;
    }
    if (event.ctrlKey && !event.altKey && !event.metaKey && (event.key === ']' || event.code === 'BracketRight')) {
      event.preventDefault();
      this.input.setRangeText(
        GS,
        this.input.selectionStart ?? this.input.value.length,
        this.input.selectionEnd ?? this.input.value.length,
        'end',
      );
      this.input.dispatchEvent(new InputEvent('input', { inputType: 'insertText', data: GS }));
    }
  }

  private typed(event: InputEvent): void {
    const now = event.timeStamp;
    const text = this.input.value;
    this.onChange(text);
    window.clearTimeout(this.idleTimer);
    if (!text) {
      this.burst = null;
      return;
    }
    // A paste or a reader that inserts the whole code at once counts as a scan.
    const added = event.data?.length ?? 1;
    if (!this.burst || event.inputType === 'insertFromPaste') this.burst = { first: now, last: now, chars: added };
    else this.burst = { first: this.burst.first, last: now, chars: this.burst.chars + added };
    // A scanner that sends Enter is never cut by a timer: its Enter ends the code, wherever it pauses.
    if (this.sendsEnter) return;
    const whole = event.inputType === 'insertFromPaste' || (this.burst.chars >= text.length && added >= text.length);
    if (whole || this.atScannerSpeed(this.burst)) {
      this.idleTimer = window.setTimeout(() => {
        if (this.isComplete(this.input.value)) this.submit(this.input.value);
      }, IDLE_SUBMIT_MS);
    }
  }

  /** Keystrokes of a burst at a scanner's pace (they type a character every 1–20 ms; people far slower). */
  private atScannerSpeed(burst: { first: number; last: number; chars: number }): boolean {
    return burst.chars >= 8 && (burst.last - burst.first) / (burst.chars - 1) < SCANNER_MS_PER_CHAR;
  }

  /** A burst typed key by key (not pasted or inserted at once) at a scanner's pace: a scanner's. */
  private typedByScanner(burst: { first: number; last: number; chars: number }): boolean {
    return burst.last > burst.first && this.atScannerSpeed(burst);
  }

  private learnSendsEnter(): void {
    this.sendsEnter = true;
    try {
      localStorage.setItem(SENDS_ENTER_KEY, 'true');
    } catch {
      // storage unavailable (private mode): remembered for this page only
    }
  }

  /** A printable key while focus is on the page or a button: the scanner has started typing; send it to the box. */
  private strayKey(event: KeyboardEvent): void {
    if (event.target === this.input || event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.key.length !== 1 || event.key === ' ') return;
    const target = event.target as Element | null;
    if (target && isTextEntry(target)) return;
    if (document.querySelector('dialog[open]')) return;
    this.focus();
  }
}

function isTextEntry(element: Element): boolean {
  if (element instanceof HTMLTextAreaElement || element instanceof HTMLSelectElement) return true;
  if (element instanceof HTMLInputElement)
    return !['button', 'submit', 'reset', 'checkbox', 'radio', 'file'].includes(element.type);
  return (element as HTMLElement).isContentEditable === true;
}

function readSendsEnter(): boolean {
  try {
    return localStorage.getItem(SENDS_ENTER_KEY) === 'true';
  } catch {
    return false;
  }
}
