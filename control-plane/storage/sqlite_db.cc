#include "control-plane/storage/sqlite_db.h"

namespace capstan::control_plane::storage::sqlite {

Result<bool> Statement::Step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  Code code = (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) ? Code::kUnavailable : Code::kInternal;
  return Fail(code, "sqlite: {}", sqlite3_errmsg(db_));
}

Status Statement::Run() {
  while (true) {
    CAPSTAN_ASSIGN_OR_RETURN(bool row, Step());
    if (!row) return Ok();
  }
}

Result<std::unique_ptr<Database>> Database::Open(const std::string& path) {
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(
      path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string message = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    return Fail(Code::kUnavailable, "opening {}: {}", path, message);
  }
  sqlite3_busy_timeout(db, 5000);
  return std::unique_ptr<Database>(new Database(db));
}

Database::~Database() { sqlite3_close(db_); }

Result<Statement> Database::Prepare(std::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &stmt, nullptr) !=
      SQLITE_OK) {
    return Fail(Code::kInternal, "sqlite prepare: {}", sqlite3_errmsg(db_));
  }
  return Statement(db_, stmt);
}

Status Database::Exec(const std::string& sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    std::string message = err ? err : "unknown error";
    sqlite3_free(err);
    return Fail(Code::kInternal, "sqlite: {}: {}", sql.substr(0, 40), message);
  }
  return Ok();
}

Result<Transaction> Transaction::Begin(Database& db) {
  CAPSTAN_TRY(db.Exec("BEGIN IMMEDIATE"));
  return Transaction(&db);
}

Transaction::~Transaction() {
  if (db_) (void)db_->Exec("ROLLBACK");
}

Status Transaction::Commit() {
  Database* db = db_;
  db_ = nullptr;
  auto committed = db->Exec("COMMIT");
  if (!committed) (void)db->Exec("ROLLBACK");  // a failed COMMIT may leave it open
  return committed;
}

}  // namespace capstan::control_plane::storage::sqlite
