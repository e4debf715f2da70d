#include "core/ops/einsum_equation.h"

#include <algorithm>
#include <cctype>
#include <map>

#include "lowp/error.h"

namespace lowp {
namespace {

[[noreturn]] void invalid(const std::string& where, const std::string& what) {
  throw_error(ErrorCode::kInvalidModel, where + ": " + what);
}

// One term of the equation: its letters, and where "..." stands among them (-1: nowhere).
struct Term {
  std::string letters;
  int ellipsis_at = -1;
};

Term parse_term(const std::string& text, const std::string& where) {
  Term term;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '.') {
      if (term.ellipsis_at >= 0 || text.compare(i, 3, "...") != 0) {
        invalid(where, "equation term '" + text + "' has a stray '.' (only one \"...\" allowed)");
      }
      term.ellipsis_at = static_cast<int>(term.letters.size());
      i += 2;
    } else if (std::isalpha(static_cast<unsigned char>(c))) {
      term.letters += c;
    } else {
      invalid(where, std::string("equation term '") + text + "' has the character '" + c + "'");
    }
  }
  return term;
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> parts(1);
  for (char c : s) {
    if (c == sep) {
      parts.emplace_back();
    } else {
      parts.back() += c;
    }
  }
  return parts;
}

// Labels: ellipsis dims first (0 .. e-1), then letters in ASCII order of first use.
struct LabelMap {
  int ellipsis = 0;
  std::map<char, int> letters;
  int of(char c) {
    auto [it, added] = letters.try_emplace(c, 0);
    if (added) it->second = ellipsis + static_cast<int>(letters.size()) - 1;
    return it->second;
  }
};

std::vector<int> term_labels(const Term& t, int ellipsis_rank, LabelMap& map) {
  std::vector<int> labels;
  for (int i = 0; i <= static_cast<int>(t.letters.size()); ++i) {
    if (i == t.ellipsis_at) {
      for (int k = map.ellipsis - ellipsis_rank; k < map.ellipsis; ++k) labels.push_back(k);
    }
    if (i < static_cast<int>(t.letters.size())) labels.push_back(map.of(t.letters[i]));
  }
  return labels;
}

}  // namespace

EinsumEquation parse_einsum(const std::string& equation, const std::vector<size_t>& ranks,
                            const std::string& where) {
  std::string eq;
  for (char c : equation) {
    if (!std::isspace(static_cast<unsigned char>(c))) eq += c;
  }
  const size_t arrow = eq.find("->");
  const bool explicit_output = arrow != std::string::npos;
  const std::vector<std::string> texts = split(eq.substr(0, arrow), ',');
  if (texts.size() != ranks.size()) {
    invalid(where, "equation '" + equation + "' has " + std::to_string(texts.size()) +
                       " operand terms for " + std::to_string(ranks.size()) + " inputs");
  }
  std::vector<Term> terms;
  LabelMap map;
  std::vector<int> ellipsis_ranks;
  for (size_t k = 0; k < texts.size(); ++k) {
    terms.push_back(parse_term(texts[k], where));
    const auto letters = static_cast<int64_t>(terms.back().letters.size());
    const int64_t rest = static_cast<int64_t>(ranks[k]) - letters;
    if (rest < 0 || (terms.back().ellipsis_at < 0 && rest != 0)) {
      invalid(where, "equation term '" + texts[k] + "' does not fit input " + std::to_string(k) +
                         " of rank " + std::to_string(ranks[k]));
    }
    ellipsis_ranks.push_back(static_cast<int>(rest));
    map.ellipsis = std::max(map.ellipsis, static_cast<int>(rest));
  }
  // Letters are numbered in ASCII order so that the implicit output is simply label order.
  std::map<char, int> uses;
  for (const Term& t : terms) {
    for (char c : t.letters) ++uses[c];
  }
  for (const auto& [c, n] : uses) map.of(c);
  EinsumEquation out;
  out.num_ellipsis_labels = map.ellipsis;
  out.num_labels = map.ellipsis + static_cast<int>(map.letters.size());
  for (size_t k = 0; k < terms.size(); ++k) {
    out.inputs.push_back(term_labels(terms[k], ellipsis_ranks[k], map));
  }
  if (!explicit_output) {
    for (int k = 0; k < map.ellipsis; ++k) out.output.push_back(k);
    for (const auto& [c, n] : uses) {
      if (n == 1) out.output.push_back(map.letters.at(c));
    }
    return out;
  }
  const Term result = parse_term(eq.substr(arrow + 2), where);
  for (char c : result.letters) {
    if (!uses.count(c)) invalid(where, std::string("output label '") + c + "' is in no input");
    if (std::count(result.letters.begin(), result.letters.end(), c) > 1) {
      invalid(where, std::string("output label '") + c + "' appears twice");
    }
  }
  if (map.ellipsis > 0 && result.ellipsis_at < 0) {
    throw_error(ErrorCode::kUnsupported,
                where + ": equation '" + equation + "' sums over the \"...\" dims (not supported)");
  }
  out.output = term_labels(result, map.ellipsis, map);
  return out;
}

std::vector<int64_t> einsum_label_sizes(const EinsumEquation& eq, const std::vector<Dims>& dims,
                                        const std::string& where) {
  std::vector<int64_t> sizes(static_cast<size_t>(eq.num_labels), -2);  // -2: not seen yet
  for (size_t k = 0; k < eq.inputs.size(); ++k) {
    for (size_t d = 0; d < eq.inputs[k].size(); ++d) {
      const int label = eq.inputs[k][d];
      const int64_t n = dims[k][d];
      int64_t& size = sizes[static_cast<size_t>(label)];
      const bool broadcasts = label < eq.num_ellipsis_labels;
      if (size == -2 || (broadcasts && size == 1) || (size == -1 && n != 1)) {
        size = n;
      } else if (n != size && n != -1 && !(broadcasts && n == 1)) {
        invalid(where, "input " + std::to_string(k) + " dim " + std::to_string(d) + " is " +
                           std::to_string(n) + " where its label is " + std::to_string(size));
      }
    }
  }
  for (int64_t& s : sizes) s = s == -2 ? 1 : s;  // ellipsis labels an operand lacks
  return sizes;
}

}  // namespace lowp
