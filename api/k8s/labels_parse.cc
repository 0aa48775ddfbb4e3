// LabelSelector::Parse: the lexer and recursive-descent parser of labels/selector.go, kept
// token for token so that odd inputs ("x in (,a)", "a=", "in in (in)") and the error
// messages come out as kube-apiserver's do.

#include <set>

#include <fmt/ranges.h>

#include "api/k8s/labels.h"

namespace capstan::api::k8s {
namespace {

enum class Token {
  kError,
  kEndOfString,
  kClosedPar,
  kComma,
  kDoesNotExist,
  kDoubleEquals,
  kEquals,
  kGreaterThan,
  kIdentifier,
  kIn,
  kLessThan,
  kNotEquals,
  kNotIn,
  kOpenPar,
};

struct Item {
  Token tok;
  std::string literal;
};

std::optional<Token> KnownToken(std::string_view s) {
  static constexpr std::pair<std::string_view, Token> kTokens[] = {
      {")", Token::kClosedPar},     {",", Token::kComma},    {"!", Token::kDoesNotExist},
      {"==", Token::kDoubleEquals}, {"=", Token::kEquals},   {">", Token::kGreaterThan},
      {"in", Token::kIn},           {"<", Token::kLessThan}, {"!=", Token::kNotEquals},
      {"notin", Token::kNotIn},     {"(", Token::kOpenPar},
  };
  for (const auto& [text, tok] : kTokens) {
    if (text == s) {
      return tok;
    }
  }
  return std::nullopt;
}

bool IsWhitespace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

bool IsSpecialSymbol(char c) {
  return c == '=' || c == '!' || c == '(' || c == ')' || c == ',' || c == '>' || c == '<';
}

class Lexer {
 public:
  explicit Lexer(std::string_view s) : s_(s) {}

  Item Lex() {
    char c = Read();
    while (IsWhitespace(c)) {
      c = Read();
    }
    if (c == 0) {
      return {Token::kEndOfString, ""};
    }
    Unread();
    return IsSpecialSymbol(c) ? ScanSpecialSymbol() : ScanIdOrKeyword();
  }

 private:
  // Go's lexer reads a NUL byte as the end of input; so do we.
  char Read() { return pos_ < s_.size() ? s_[pos_++] : '\0'; }
  void Unread() { --pos_; }

  Item ScanIdOrKeyword() {
    std::string buf;
    while (true) {
      char c = Read();
      if (c == 0) {
        break;
      }
      if (IsSpecialSymbol(c) || IsWhitespace(c)) {
        Unread();
        break;
      }
      buf += c;
    }
    if (auto tok = KnownToken(buf)) {
      return {*tok, buf};
    }
    return {Token::kIdentifier, buf};
  }

  // The longest run of special symbols that is still a token: "!=" but "=" then "(".
  Item ScanSpecialSymbol() {
    std::optional<Item> last;
    std::string buf;
    while (true) {
      char c = Read();
      if (c == 0) {
        break;
      }
      if (!IsSpecialSymbol(c)) {
        Unread();
        break;
      }
      buf += c;
      if (auto tok = KnownToken(buf)) {
        last = Item{*tok, buf};
      } else if (last) {
        Unread();
        break;
      }
    }
    if (!last) {
      return {Token::kError, fmt::format("error expected: keyword found '{}'", buf)};
    }
    return *last;
  }

  std::string_view s_;
  size_t pos_ = 0;
};

// In the values context "in" and "notin" are plain identifiers ("x in (in)").
enum class Context { kKeyAndOperator, kValues };

class Parser {
 public:
  explicit Parser(std::string_view s) {
    Lexer lexer(s);
    while (true) {
      items_.push_back(lexer.Lex());
      if (items_.back().tok == Token::kEndOfString) {
        break;
      }
    }
  }

  Result<std::vector<LabelRequirement>> Parse() {
    std::vector<LabelRequirement> reqs;
    while (true) {
      auto [tok, lit] = Lookahead(Context::kValues);
      if (tok == Token::kEndOfString) {
        return reqs;
      }
      if (tok != Token::kIdentifier && tok != Token::kDoesNotExist) {
        return Fail(Code::kInvalidArgument,
                    "found '{}', expected: !, identifier, or 'end of string'", lit);
      }
      auto r = ParseRequirement();
      if (!r) {
        return Fail(Code::kInvalidArgument, "unable to parse requirement: {}", r.error().message());
      }
      reqs.push_back(std::move(*r));
      auto [t, l] = Consume(Context::kValues);
      if (t == Token::kEndOfString) {
        return reqs;
      }
      if (t != Token::kComma) {
        return Fail(Code::kInvalidArgument, "found '{}', expected: ',' or 'end of string'", l);
      }
      auto [t2, l2] = Lookahead(Context::kValues);
      if (t2 != Token::kIdentifier && t2 != Token::kDoesNotExist) {
        return Fail(Code::kInvalidArgument, "found '{}', expected: identifier after ','", l2);
      }
    }
  }

 private:
  Item Lookahead(Context ctx) const { return InContext(items_[pos_], ctx); }
  Item Consume(Context ctx) { return InContext(items_[pos_++], ctx); }

  static Item InContext(Item item, Context ctx) {
    if (ctx == Context::kValues && (item.tok == Token::kIn || item.tok == Token::kNotIn)) {
      item.tok = Token::kIdentifier;
    }
    return item;
  }

  Result<LabelRequirement> ParseRequirement() {
    std::optional<SelectorOperator> op;
    Item item = Consume(Context::kValues);
    if (item.tok == Token::kDoesNotExist) {
      op = SelectorOperator::kDoesNotExist;
      item = Consume(Context::kValues);
    }
    const std::string& key = item.literal;
    if (item.tok != Token::kIdentifier) {
      return Fail(Code::kInvalidArgument, "found '{}', expected: identifier", key);
    }
    // The key is checked before the operator, reported with a nil field path.
    if (auto errs = LabelKeyErrors(key); !errs.empty()) {
      return Fail(Code::kInvalidArgument, "<nil>: Invalid value: {}: {}", GoQuote(key),
                  fmt::format("{}", fmt::join(errs, "; ")));
    }
    Token next = Lookahead(Context::kValues).tok;
    if (next == Token::kEndOfString || next == Token::kComma) {
      op = op.value_or(SelectorOperator::kExists);
    }
    if (op) {
      return MakeLabelRequirement(key, *op, {});
    }
    CAPSTAN_ASSIGN_OR_RETURN(SelectorOperator binary, ParseOperator());
    std::set<std::string> values;
    if (binary == SelectorOperator::kIn || binary == SelectorOperator::kNotIn) {
      CAPSTAN_ASSIGN_OR_RETURN(values, ParseValues());
    } else {
      CAPSTAN_ASSIGN_OR_RETURN(values, ParseExactValue());
    }
    return MakeLabelRequirement(key, binary, {values.begin(), values.end()});
  }

  Result<SelectorOperator> ParseOperator() {
    auto [tok, lit] = Consume(Context::kKeyAndOperator);
    switch (tok) {
      case Token::kIn: return SelectorOperator::kIn;
      case Token::kEquals: return SelectorOperator::kEquals;
      case Token::kDoubleEquals: return SelectorOperator::kDoubleEquals;
      case Token::kGreaterThan: return SelectorOperator::kGreaterThan;
      case Token::kLessThan: return SelectorOperator::kLessThan;
      case Token::kNotIn: return SelectorOperator::kNotIn;
      case Token::kNotEquals: return SelectorOperator::kNotEquals;
      default:
        return Fail(Code::kInvalidArgument, "found '{}', expected: in, notin, =, ==, !=, gt, lt",
                    lit);
    }
  }

  // "(a,b)"; empty members ("(a,)", "()") are the empty value.
  Result<std::set<std::string>> ParseValues() {
    if (Item open = Consume(Context::kValues); open.tok != Token::kOpenPar) {
      return Fail(Code::kInvalidArgument, "found '{}' expected: '('", open.literal);
    }
    auto [tok, lit] = Lookahead(Context::kValues);
    if (tok == Token::kClosedPar) {
      Consume(Context::kValues);
      return std::set<std::string>{""};
    }
    if (tok != Token::kIdentifier && tok != Token::kComma) {
      return Fail(Code::kInvalidArgument, "found '{}', expected: ',', ')' or identifier", lit);
    }
    CAPSTAN_ASSIGN_OR_RETURN(auto values, ParseIdentifiersList());
    Consume(Context::kValues);  // the ')' ParseIdentifiersList stopped at
    return values;
  }

  Result<std::set<std::string>> ParseIdentifiersList() {
    std::set<std::string> s;
    while (true) {
      auto [tok, lit] = Consume(Context::kValues);
      if (tok == Token::kIdentifier) {
        s.insert(lit);
        auto [tok2, lit2] = Lookahead(Context::kValues);
        if (tok2 == Token::kClosedPar) {
          return s;
        }
        if (tok2 != Token::kComma) {
          return Fail(Code::kInvalidArgument, "found '{}', expected: ',' or ')'", lit2);
        }
      } else if (tok == Token::kComma) {
        if (s.empty()) {
          s.insert("");  // "(,"
        }
        Token tok2 = Lookahead(Context::kValues).tok;
        if (tok2 == Token::kClosedPar) {
          s.insert("");  // ",)"
          return s;
        }
        if (tok2 == Token::kComma) {
          s.insert("");  // ",,"
        }
      } else {
        return Fail(Code::kInvalidArgument, "found '{}', expected: ',', or identifier", lit);
      }
    }
  }

  // The value after =, ==, !=, >, <; nothing before ',' or the end is the empty value.
  Result<std::set<std::string>> ParseExactValue() {
    Token next = Lookahead(Context::kValues).tok;
    if (next == Token::kEndOfString || next == Token::kComma) {
      return std::set<std::string>{""};
    }
    auto [tok, lit] = Consume(Context::kValues);
    if (tok != Token::kIdentifier) {
      return Fail(Code::kInvalidArgument, "found '{}', expected: identifier", lit);
    }
    return std::set<std::string>{lit};
  }

  std::vector<Item> items_;
  size_t pos_ = 0;
};

}  // namespace

Result<LabelSelector> LabelSelector::Parse(std::string_view selector) {
  CAPSTAN_ASSIGN_OR_RETURN(auto reqs, Parser(selector).Parse());
  LabelSelector s;
  for (auto& r : reqs) {
    s.Add(std::move(r));
  }
  return s;
}

}  // namespace capstan::api::k8s
