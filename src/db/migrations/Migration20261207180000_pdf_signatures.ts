import { Migration } from '@mikro-orm/migrations';

/**
 * The legal signatures inside a sent PDF (issue 17), as verified when the document was registered:
 * kept with the attachment so every later view, the timeline and the archive show what was checked
 * then. A received PDF's verdict lives in the inbox item's `attachments` JSON already.
 */
export class Migration20261207180000_pdf_signatures extends Migration {
  override async up(): Promise<void> {
    this.addSql('alter table "document_attachment" add column "pdf_signatures" jsonb null;');
  }

  override async down(): Promise<void> {
    this.addSql('alter table "document_attachment" drop column "pdf_signatures";');
  }
}
