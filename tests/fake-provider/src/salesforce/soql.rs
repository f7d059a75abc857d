//! The sliver of SOQL the fake understands, parsed strictly so that a badly escaped literal
//! shows up as `MALFORMED_QUERY` rather than as a wider search:
//!
//! `SELECT field, … FROM Account [WHERE field (LIKE | = | !=) 'literal'] [ORDER BY field
//! [ASC | DESC]] [LIMIT n]`
//!
//! Keywords are case-insensitive. Literals take SOQL's escapes (`\'`, `\"`, `\\`, `\n`, `\r`,
//! `\t`, `\b`, `\f`, and in `LIKE` patterns `\%` and `\_`); `%` and `_` are `LIKE` wildcards.

/// A parsed query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    pub fields: Vec<String>,
    pub object: String,
    pub filter: Option<Filter>,
    pub order: Option<(String, bool)>,
    pub limit: Option<usize>,
}

/// One `WHERE` condition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filter {
    pub field: String,
    pub op: Op,
    pub value: Literal,
}

/// A comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Like,
    Eq,
    Ne,
}

/// A string literal as pieces: text, or (in `LIKE`) a wildcard.
pub type Literal = Vec<Piece>;

/// Part of a literal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    Char(char),
    /// `%`: any run of characters.
    AnyRun,
    /// `_`: one character.
    AnyOne,
}

/// Why a query was refused, as Salesforce words it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Malformed(pub String);

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Word(String),
    Comma,
    Op(&'static str),
    Str(Literal),
    Number(usize),
}

/// Parses `text`.
pub fn parse(text: &str) -> Result<Query, Malformed> {
    let tokens = tokenize(text)?;
    let mut p = Parser { tokens, at: 0 };
    p.keyword("SELECT")?;
    let mut fields = vec![p.name()?];
    while p.peek() == Some(&Token::Comma) {
        p.at += 1;
        fields.push(p.name()?);
    }
    p.keyword("FROM")?;
    let object = p.name()?;
    let mut query = Query {
        fields,
        object,
        filter: None,
        order: None,
        limit: None,
    };
    if p.is_keyword("WHERE") {
        p.at += 1;
        let field = p.name()?;
        let op = match p.next() {
            Some(Token::Word(w)) if w.eq_ignore_ascii_case("LIKE") => Op::Like,
            Some(Token::Op("=")) => Op::Eq,
            Some(Token::Op("!=")) => Op::Ne,
            other => return Err(unexpected(other.as_ref())),
        };
        let value = match p.next() {
            Some(Token::Str(value)) => value,
            other => return Err(unexpected(other.as_ref())),
        };
        query.filter = Some(Filter { field, op, value });
    }
    if p.is_keyword("ORDER") {
        p.at += 1;
        p.keyword("BY")?;
        let field = p.name()?;
        let ascending = if p.is_keyword("DESC") {
            p.at += 1;
            false
        } else {
            if p.is_keyword("ASC") {
                p.at += 1;
            }
            true
        };
        query.order = Some((field, ascending));
    }
    if p.is_keyword("LIMIT") {
        p.at += 1;
        match p.next() {
            Some(Token::Number(n)) => query.limit = Some(n),
            other => return Err(unexpected(other.as_ref())),
        }
    }
    match p.next() {
        None => Ok(query),
        Some(token) => Err(unexpected(Some(&token))),
    }
}

impl Filter {
    /// Whether `value` (the record's field) satisfies the condition.
    pub fn matches(&self, value: &str) -> bool {
        match self.op {
            Op::Like => like(
                &self.value,
                &value.to_lowercase().chars().collect::<Vec<_>>(),
            ),
            Op::Eq => text(&self.value).eq_ignore_ascii_case(value),
            Op::Ne => !text(&self.value).eq_ignore_ascii_case(value),
        }
    }
}

/// A literal's text, wildcards read as the characters they are written with.
pub fn text(literal: &Literal) -> String {
    literal
        .iter()
        .map(|piece| match piece {
            Piece::Char(c) => *c,
            Piece::AnyRun => '%',
            Piece::AnyOne => '_',
        })
        .collect()
}

/// Case-insensitive `LIKE` of `pattern` against lower-cased `value`.
fn like(pattern: &[Piece], value: &[char]) -> bool {
    match pattern.split_first() {
        None => value.is_empty(),
        Some((Piece::AnyRun, rest)) => (0..=value.len()).any(|skip| like(rest, &value[skip..])),
        Some((Piece::AnyOne, rest)) => !value.is_empty() && like(rest, &value[1..]),
        Some((Piece::Char(c), rest)) => value
            .split_first()
            .is_some_and(|(v, tail)| c.to_lowercase().eq(std::iter::once(*v)) && like(rest, tail)),
    }
}

fn unexpected(token: Option<&Token>) -> Malformed {
    let shown = match token {
        None => "<EOF>".to_owned(),
        Some(Token::Word(w)) => w.clone(),
        Some(Token::Comma) => ",".to_owned(),
        Some(Token::Op(op)) => (*op).to_owned(),
        Some(Token::Str(s)) => format!("'{}'", text(s)),
        Some(Token::Number(n)) => n.to_string(),
    };
    Malformed(format!("unexpected token: {shown}"))
}

struct Parser {
    tokens: Vec<Token>,
    at: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    fn next(&mut self) -> Option<Token> {
        let token = self.tokens.get(self.at).cloned();
        self.at += 1;
        token
    }

    fn is_keyword(&self, keyword: &str) -> bool {
        matches!(self.peek(), Some(Token::Word(w)) if w.eq_ignore_ascii_case(keyword))
    }

    fn keyword(&mut self, keyword: &str) -> Result<(), Malformed> {
        if self.is_keyword(keyword) {
            self.at += 1;
            Ok(())
        } else {
            Err(unexpected(self.peek()))
        }
    }

    fn name(&mut self) -> Result<String, Malformed> {
        const RESERVED: &[&str] = &["SELECT", "FROM", "WHERE", "ORDER", "BY", "LIMIT", "LIKE"];
        match self.next() {
            Some(Token::Word(w)) if !RESERVED.iter().any(|r| w.eq_ignore_ascii_case(r)) => Ok(w),
            other => Err(unexpected(other.as_ref())),
        }
    }
}

fn tokenize(text: &str) -> Result<Vec<Token>, Malformed> {
    let mut tokens = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(&c) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
        } else if c == ',' {
            chars.next();
            tokens.push(Token::Comma);
        } else if c == '=' {
            chars.next();
            tokens.push(Token::Op("="));
        } else if c == '!' {
            chars.next();
            if chars.next() != Some('=') {
                return Err(Malformed("unexpected token: !".into()));
            }
            tokens.push(Token::Op("!="));
        } else if c == '\'' {
            chars.next();
            tokens.push(Token::Str(literal(&mut chars)?));
        } else if c.is_ascii_digit() {
            let mut digits = String::new();
            while let Some(&d) = chars.peek().filter(|d| d.is_ascii_digit()) {
                digits.push(d);
                chars.next();
            }
            let n = digits
                .parse()
                .map_err(|_| Malformed(format!("unexpected token: {digits}")))?;
            tokens.push(Token::Number(n));
        } else if c.is_ascii_alphabetic() {
            let mut word = String::new();
            while let Some(&w) = chars
                .peek()
                .filter(|w| w.is_ascii_alphanumeric() || **w == '_' || **w == '.')
            {
                word.push(w);
                chars.next();
            }
            tokens.push(Token::Word(word));
        } else {
            return Err(Malformed(format!("unexpected token: {c}")));
        }
    }
    Ok(tokens)
}

/// A literal after its opening quote, up to and including the closing one.
fn literal(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) -> Result<Literal, Malformed> {
    let mut pieces = Vec::new();
    loop {
        match chars.next() {
            None => return Err(Malformed("unterminated string literal".into())),
            Some('\'') => return Ok(pieces),
            Some('%') => pieces.push(Piece::AnyRun),
            Some('_') => pieces.push(Piece::AnyOne),
            Some('\\') => {
                let escaped = match chars.next() {
                    Some('\'') => '\'',
                    Some('"') => '"',
                    Some('\\') => '\\',
                    Some('n') => '\n',
                    Some('r') => '\r',
                    Some('t') => '\t',
                    Some('b') => '\u{8}',
                    Some('f') => '\u{c}',
                    Some('%') => '%',
                    Some('_') => '_',
                    other => {
                        return Err(Malformed(format!(
                            "Invalid string literal: unknown escape \\{}",
                            other.map(String::from).unwrap_or_default()
                        )));
                    }
                };
                pieces.push(Piece::Char(escaped));
            }
            Some(c) => pieces.push(Piece::Char(c)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_connector_query_parses() {
        let q = parse("SELECT Id, Name, Industry FROM Account WHERE Name LIKE '%O\\'Re\\_%' ORDER BY Name LIMIT 20")
            .unwrap();
        assert_eq!(q.fields, ["Id", "Name", "Industry"]);
        assert_eq!(q.object, "Account");
        assert_eq!(q.limit, Some(20));
        assert_eq!(q.order, Some(("Name".into(), true)));
        let filter = q.filter.unwrap();
        assert!(filter.matches("Bob O'Re_x"));
        assert!(!filter.matches("O'Reilly"), "escaped _ is literal");
    }

    #[test]
    fn wildcards_and_case() {
        let q = parse("select Id from Account where Name like 'acme%'").unwrap();
        let f = q.filter.unwrap();
        assert!(f.matches("ACME Corp"));
        assert!(!f.matches("The Acme"));
        let one = parse("SELECT Id FROM Account WHERE Name LIKE 'a_c'").unwrap();
        assert!(one.filter.unwrap().matches("abc"));
    }

    #[test]
    fn injections_are_malformed() {
        for bad in [
            "SELECT Id FROM Account WHERE Name LIKE '%x' OR Name LIKE '%'",
            "SELECT Id FROM Account WHERE Name LIKE 'x''",
            "SELECT Id FROM Account WHERE Name LIKE 'x",
            "SELECT Id FROM Account WHERE Name LIKE 'a\\q'",
            "SELECT FROM Account",
            "SELECT Id FROM Account LIMIT",
            "SELECT Id FROM Account; DELETE",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }
}
