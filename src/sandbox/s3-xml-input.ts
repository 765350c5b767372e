import { malformedXml } from "./s3-errors.js";

/** An XML element of a request body: its local name (namespace prefix dropped), text and children. */
export interface XmlElement {
  name: string;
  text: string;
  children: XmlElement[];
}

const TOKEN =
  /<\?[^>]*\?>|<!--[\s\S]*?-->|<\/\s*([\w:.-]+)\s*>|<([\w:.-]+)((?:\s+[\w:.-]+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*(\/?)>|([^<]+)/y;

// Parses the small XML documents S3 configuration requests carry (VersioningConfiguration,
// ObjectLockConfiguration, Retention); anything that is not well-formed is MalformedXML, as on S3.
export function parseXmlBody(body: Buffer): XmlElement {
  const text = body.toString("utf8").trim();
  const root: XmlElement = { name: "#document", text: "", children: [] };
  const stack: XmlElement[] = [root];
  const token = new RegExp(TOKEN);
  while (token.lastIndex < text.length) {
    const match = token.exec(text);
    if (!match) throw malformedXml();
    const [, close, open, , selfClosing, chars] = match;
    const parent = stack[stack.length - 1] ?? root;
    if (open !== undefined) {
      const element: XmlElement = { name: localName(open), text: "", children: [] };
      parent.children.push(element);
      if (selfClosing !== "/") stack.push(element);
    } else if (close !== undefined) {
      if (stack.length < 2 || parent.name !== localName(close)) throw malformedXml();
      stack.pop();
    } else if (chars !== undefined) {
      parent.text += decodeEntities(chars);
    }
  }
  const [element, ...rest] = root.children;
  if (stack.length !== 1 || !element || rest.length > 0 || root.text.trim() !== "") throw malformedXml();
  return element;
}

// The text of the only child element called `name`; undefined when there is none, MalformedXML when
// there are several.
export function childText(element: XmlElement, name: string): string | undefined {
  const found = element.children.filter((child) => child.name === name);
  if (found.length > 1) throw malformedXml();
  return found[0]?.text.trim();
}

// The only child element called `name`, if any.
export function child(element: XmlElement, name: string): XmlElement | undefined {
  const found = element.children.filter((item) => item.name === name);
  if (found.length > 1) throw malformedXml();
  return found[0];
}

function localName(qualified: string): string {
  return qualified.slice(qualified.indexOf(":") + 1);
}

function decodeEntities(text: string): string {
  return text.replace(/&(lt|gt|amp|apos|quot|#\d+|#x[0-9a-fA-F]+);/g, (_, entity: string) => {
    if (entity === "lt") return "<";
    if (entity === "gt") return ">";
    if (entity === "amp") return "&";
    if (entity === "apos") return "'";
    if (entity === "quot") return '"';
    const code = entity.startsWith("#x") ? Number.parseInt(entity.slice(2), 16) : Number(entity.slice(1));
    if (code > 0x10ffff) throw malformedXml();
    return String.fromCodePoint(code);
  });
}
