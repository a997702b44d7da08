// expect: no return statement in function returning non-void
// A process body that never uses co_await or co_return is a plain function: it must not compile.
#include <beam/beam.hpp>

beam::process greeter() {
  beam::self();
}

int main() {
  beam::runtime rt;
  rt.run(greeter);
}
