import PDFDocument from 'pdfkit';

export interface Column {
  header: string;
  /** Share of the text width. */
  width: number;
  align?: 'left' | 'right';
}

const FONT = 'Helvetica';
const BOLD = 'Helvetica-Bold';
const BODY_SIZE = 8.5;
const CELL_PAD = 3;
const GREY = '#555555';
const RULE = '#c8c8c8';
const HEADER_FILL = '#e8edf3';
/** A cell never holds more than this: one row must fit on a page. */
const MAX_CELL_CHARS = 700;

/**
 * Characters the standard PDF fonts (WinAnsiEncoding) can show; anything else is shown as "?" rather than as a wrong
 * glyph. Names and addresses come from the registry and may hold any Unicode.
 */
const WIN_ANSI_EXTRAS = new Set([
  0x20ac, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021, 0x02c6, 0x2030, 0x0160, 0x2039, 0x0152, 0x017d, 0x2018,
  0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014, 0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0x017e, 0x0178,
]);

export function printable(text: string): string {
  let out = '';
  for (const ch of text) {
    const code = ch.codePointAt(0)!;
    if (ch === '\n') out += ch;
    else if ((code >= 0x20 && code <= 0x7e) || (code >= 0xa0 && code <= 0xff) || WIN_ANSI_EXTRAS.has(code)) out += ch;
    else out += '?';
  }
  return out.length > MAX_CELL_CHARS ? out.slice(0, MAX_CELL_CHARS - 1) + '…' : out;
}

/**
 * A small layout engine over PDFKit for reports people read: US Letter, headings, label/value blocks, paragraphs and
 * tables that break across pages with their header repeated, and a footer with the page number on every page.
 * Pages are written out as they are finished (no page buffering), so a long report streams.
 */
export class PdfLayout {
  readonly doc: PDFKit.PDFDocument;
  private page = 0;

  constructor(
    info: { title: string; subject: string },
    private readonly footer: { left: string; right: string },
  ) {
    this.doc = new PDFDocument({
      size: 'LETTER',
      margins: { top: 50, bottom: 58, left: 50, right: 50 },
      autoFirstPage: false,
      bufferPages: false,
      info: { Title: printable(info.title), Subject: printable(info.subject), Author: 'RxLedger', Creator: 'RxLedger' },
    });
    this.doc.on('pageAdded', () => this.onPage());
    this.doc.addPage();
  }

  get left(): number {
    return this.doc.page.margins.left;
  }

  get width(): number {
    return this.doc.page.width - this.doc.page.margins.left - this.doc.page.margins.right;
  }

  private get bottom(): number {
    return this.doc.page.height - this.doc.page.margins.bottom;
  }

  /** Starts a new page unless `height` points still fit on this one. */
  ensure(height: number): void {
    if (this.doc.y + height > this.bottom) this.doc.addPage();
  }

  title(text: string, subtitle: string): void {
    this.doc
      .font(BOLD)
      .fontSize(18)
      .fillColor('black')
      .text(printable(text), this.left, this.doc.y, { width: this.width });
    this.doc.moveDown(0.15);
    this.doc.font(FONT).fontSize(11).fillColor(GREY).text(printable(subtitle), { width: this.width });
    this.doc.fillColor('black').moveDown(0.6);
  }

  heading(text: string): void {
    this.ensure(60);
    this.doc.moveDown(0.5);
    const y = this.doc.y;
    this.doc.font(BOLD).fontSize(12).fillColor('#1f3b5c').text(printable(text), this.left, y, { width: this.width });
    this.doc
      .moveTo(this.left, this.doc.y + 1)
      .lineTo(this.left + this.width, this.doc.y + 1)
      .lineWidth(0.6)
      .strokeColor('#1f3b5c')
      .stroke();
    this.doc.fillColor('black').moveDown(0.4);
  }

  paragraph(text: string, options: { size?: number; color?: string; bold?: boolean } = {}): void {
    this.doc.font(options.bold ? BOLD : FONT).fontSize(options.size ?? BODY_SIZE + 0.5);
    const content = printable(text);
    this.ensure(this.doc.heightOfString(content, { width: this.width }) + 4);
    this.doc.fillColor(options.color ?? 'black').text(content, this.left, this.doc.y, { width: this.width });
    this.doc.fillColor('black').moveDown(0.35);
  }

  /** Label: value lines in two columns of labels and values. */
  fields(pairs: [string, string][], labelWidth = 130): void {
    this.doc.fontSize(BODY_SIZE + 0.5);
    for (const [label, value] of pairs) {
      const content = printable(value);
      this.doc.font(FONT);
      const height = Math.max(12, this.doc.heightOfString(content, { width: this.width - labelWidth }) + 2);
      this.ensure(height);
      const y = this.doc.y;
      this.doc
        .font(BOLD)
        .fillColor(GREY)
        .text(printable(label), this.left, y, { width: labelWidth - 8 });
      this.doc
        .font(FONT)
        .fillColor('black')
        .text(content, this.left + labelWidth, y, { width: this.width - labelWidth });
      this.doc.y = y + height;
    }
    this.doc.x = this.left;
    this.doc.moveDown(0.3);
  }

  /** A table: call `row` for each row, `end` after the last. The header repeats on every page the table spans. */
  table(columns: Column[]): { row(cells: string[], options?: { bold?: boolean }): void; end(): void } {
    const total = columns.reduce((sum, c) => sum + c.width, 0);
    const widths = columns.map((c) => (c.width / total) * this.width);
    const drawHeader = () => {
      this.doc.font(BOLD).fontSize(BODY_SIZE);
      const height = Math.max(...columns.map((c, i) => this.cellHeight(c.header, widths[i])));
      this.ensure(height + 14);
      const y = this.doc.y;
      this.doc.rect(this.left, y, this.width, height).fill(HEADER_FILL);
      this.doc.fillColor('black');
      this.drawCells(
        columns.map((c) => c.header),
        widths,
        columns,
        y,
      );
      this.doc.y = y + height;
    };
    drawHeader();
    let rows = 0;
    return {
      row: (cells, options = {}) => {
        const content = cells.map((cell) => printable(cell));
        this.doc.font(options.bold ? BOLD : FONT).fontSize(BODY_SIZE);
        const height = Math.max(...content.map((cell, i) => this.cellHeight(cell, widths[i])));
        if (this.doc.y + height > this.bottom) {
          this.doc.addPage();
          drawHeader();
          this.doc.font(options.bold ? BOLD : FONT).fontSize(BODY_SIZE);
        }
        const y = this.doc.y;
        if (rows++ % 2 === 1) this.doc.rect(this.left, y, this.width, height).fill('#f7f7f7').fillColor('black');
        this.drawCells(content, widths, columns, y);
        this.doc
          .moveTo(this.left, y + height)
          .lineTo(this.left + this.width, y + height)
          .lineWidth(0.3)
          .strokeColor(RULE)
          .stroke();
        this.doc.y = y + height;
      },
      end: () => {
        this.doc.x = this.left;
        this.doc.moveDown(0.6);
      },
    };
  }

  /** Finishes the document; the caller drains `doc` to its destination. */
  end(): void {
    this.doc.end();
  }

  private cellHeight(text: string, width: number): number {
    return this.doc.heightOfString(text || ' ', { width: width - 2 * CELL_PAD }) + 2 * CELL_PAD;
  }

  private drawCells(cells: string[], widths: number[], columns: Column[], y: number): void {
    let x = this.left;
    cells.forEach((cell, i) => {
      this.doc.text(cell, x + CELL_PAD, y + CELL_PAD, {
        width: widths[i] - 2 * CELL_PAD,
        align: columns[i].align ?? 'left',
        lineBreak: true,
      });
      x += widths[i];
    });
  }

  /** The footer of a new page: the report, the checkpoint fingerprint and the page number, below the margin. */
  private onPage(): void {
    this.page++;
    const { doc } = this;
    const bottomMargin = doc.page.margins.bottom;
    // Writing below the bottom margin would make PDFKit start yet another page.
    doc.page.margins.bottom = 0;
    const y = doc.page.height - 38;
    doc
      .moveTo(this.left, y - 6)
      .lineTo(this.left + this.width, y - 6)
      .lineWidth(0.4)
      .strokeColor(RULE)
      .stroke();
    doc.font(FONT).fontSize(7.5).fillColor(GREY);
    // One line each: a height of one line and an ellipsis cut whatever does not fit.
    doc.text(printable(this.footer.left), this.left, y, { width: this.width * 0.66, height: 9, ellipsis: true });
    doc.text(`${printable(this.footer.right)}   Page ${this.page}`, this.left + this.width * 0.66, y, {
      width: this.width * 0.34,
      height: 9,
      align: 'right',
      ellipsis: true,
    });
    doc.page.margins.bottom = bottomMargin;
    doc.fillColor('black').font(FONT).fontSize(BODY_SIZE);
    doc.x = this.left;
    doc.y = doc.page.margins.top;
  }
}
