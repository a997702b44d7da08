# tests/oracle/oracle.exs: the real Erlang/Elixir side of tests/oracle_test.cpp.
#
#   elixir oracle.exs check IN OUT      IN holds beampp's term_to_binary bytes, one {packet,4} frame per term
#   elixir oracle.exs generate OUT      terms that Erlang itself makes (self(), make_ref(), compressed ETF, ...)
#
# OUT gets one {packet,4} frame per term, each a status byte (0 ok, 1 the input did not decode, 2 a printer raised)
# followed by six fields, each a 32-bit big-endian length and the bytes:
#   1. input ETF: in generate mode the bytes beampp must decode (maybe compressed or an older encoding); else empty
#   2. :erlang.term_to_binary(t), OTP's canonical encoding
#   3. inspect(t, limit: :infinity) (Elixir; default printable_limit)
#   4. Erlang's one-line ~tp: io_lib_pretty:print/2 with column 1 and an unbounded line length
#   5. io_lib:format("~tp", [t]) as is (80 columns); when it holds no newline it must equal field 4
#   6. a label: how the term was made (generate mode), or the error text when the status is not 0
# The framing is plain bytes on purpose: reading it back does not depend on beampp's own decoder.
# Files, not stdout: Elixir's standard_io is in unicode mode and would re-encode raw bytes.

defmodule Oracle do
  @one_line [column: 1, line_length: 1_000_000_000, depth: -1, chars_limit: -1, encoding: :unicode]

  def field(bytes), do: [<<byte_size(bytes)::32>>, bytes]

  def record(status, fields) do
    body = [<<status>> | Enum.map(fields, &field/1)]
    [<<IO.iodata_length(body)::32>> | body]
  end

  def describe(input, t, label) do
    try do
      etf = :erlang.term_to_binary(t)
      text = inspect(t, limit: :infinity)
      tp = :unicode.characters_to_binary(:io_lib_pretty.print(t, @one_line))
      tp80 = :unicode.characters_to_binary(:io_lib.format(~c"~tp", [t]))
      record(0, [input, etf, text, tp, tp80, label])
    rescue
      e -> record(2, [input, "", "", "", "", Exception.message(e)])
    end
  end

  def frames(<<size::32, frame::binary-size(size), rest::binary>>), do: [frame | frames(rest)]
  def frames(<<>>), do: []

  defp decode(frame) do
    {:ok, :erlang.binary_to_term(frame)}
  rescue
    e -> {:error, Exception.message(e)}
  end

  def check(in_path, out_path) do
    out =
      for frame <- frames(File.read!(in_path)) do
        case decode(frame) do
          {:ok, t} -> describe("", t, "")
          {:error, why} -> record(1, ["", "", "", "", "", why])
        end
      end

    File.write!(out_path, out)
  end

  def generate(out_path) do
    :rand.seed(:exsss, {2023, 11, 7})

    out =
      for entry <- ErlangTerms.all() do
        case entry do
          {:crafted, label, bytes, t} -> describe(bytes, t, "crafted " <> label)
          {label, t, options} -> describe(:erlang.term_to_binary(t, options), t, label)
        end
      end

    File.write!(out_path, out)
  end
end

defmodule ErlangTerms do
  import Bitwise

  # Terms made by Erlang itself, each with a label and the term_to_binary options of its input encoding.
  def all do
    plain = Enum.map(singles(), fn {label, t} -> {label, t, []} end)
    random = for i <- 1..900, do: {"random nested ##{i}", nested(4), []}
    compressed =
      for i <- 1..120 do
        t = if rem(i, 3) == 0, do: big_compressible(i), else: nested(4)
        {"compressed ##{i}", t, [{:compressed, rem(i, 10)}]}
      end
    # minor_version 0: floats as the 31-byte text FLOAT_EXT (old but still valid input).
    old_floats = for {label, t} <- float_singles(), do: {"minor_version 0: " <> label, t, [{:minor_version, 0}]}
    crafted = for {label, bytes} <- crafted(), t = accepted(bytes), t != :oracle_rejected, do: {:crafted, label, bytes, t}
    plain ++ random ++ compressed ++ old_floats ++ crafted
  end

  defp accepted(bytes) do
    :erlang.binary_to_term(bytes)
  rescue
    _ -> :oracle_rejected
  end

  # ETF that OTP 25 reads but does not write (older or non-canonical forms), as raw bytes: beampp must read them to
  # the same term, and re-encode that term as OTP does. Entries OTP itself refuses are dropped.
  def crafted do
    node = <<100, 13::16, "nonode@nohost">>
    other = <<100, 7::16, "foo@bar">>
    [
      {"PID_EXT", <<131, 103, node::binary, 5::32, 1::32, 0>>},
      {"PID_EXT of another node", <<131, 103, other::binary, 5::32, 1::32, 3>>},
      {"NEW_PID_EXT, this node's name, creation 5", <<131, 88, node::binary, 1::32, 2::32, 5::32>>},
      {"PORT_EXT", <<131, 102, node::binary, 5::32, 0>>},
      {"PORT_EXT of another node", <<131, 102, other::binary, 5::32, 3>>},
      {"NEW_PORT_EXT, this node's name, creation 5", <<131, 89, node::binary, 5::32, 5::32>>},
      {"V4_PORT_EXT of a small number, this node", <<131, 120, node::binary, 5::64, 0::32>>},
      {"V4_PORT_EXT of another node", <<131, 120, other::binary, 0x1_0000_0001::64, 7::32>>},
      {"REFERENCE_EXT", <<131, 101, node::binary, 7::32, 0>>},
      {"NEW_REFERENCE_EXT", <<131, 114, 3::16, node::binary, 0, 7::32, 8::32, 9::32>>},
      {"NEWER_REFERENCE_EXT of 1 word, this node", <<131, 90, 1::16, node::binary, 0::32, 7::32>>},
      {"NEWER_REFERENCE_EXT of 2 words, this node", <<131, 90, 2::16, node::binary, 0::32, 7::32, 8::32>>},
      {"NEWER_REFERENCE_EXT of 5 words, another node", <<131, 90, 5::16, other::binary, 9::32, 1::32, 2::32, 3::32, 4::32, 5::32>>},
      {"SMALL_ATOM_EXT", <<131, 115, 5, "hello">>},
      {"SMALL_ATOM_EXT latin-1", <<131, 115, 3, "h", 0xE9, "j">>},
      {"ATOM_EXT latin-1 0xFF", <<131, 100, 1::16, 0xFF>>},
      {"SMALL_ATOM_UTF8_EXT ascii", <<131, 119, 2, "ok">>},
      {"ATOM_UTF8_EXT ascii", <<131, 118, 2::16, "ok">>},
      {"ATOM_UTF8_EXT unicode", <<131, 118, 4::16, "п", "р">>},
      {"SMALL_ATOM_UTF8_EXT true", <<131, 119, 4, "true">>},
      {"INTEGER_EXT 5", <<131, 98, 5::32>>},
      {"SMALL_BIG_EXT 5", <<131, 110, 1, 0, 5>>},
      {"SMALL_BIG_EXT -5", <<131, 110, 1, 1, 5>>},
      {"SMALL_BIG_EXT with a zero top byte", <<131, 110, 2, 0, 5, 0>>},
      {"SMALL_BIG_EXT 2^63 with zero top bytes", <<131, 110, 10, 0, 0, 0, 0, 0, 0, 0, 0, 128, 0, 0>>},
      {"SMALL_BIG_EXT zero", <<131, 110, 0, 0>>},
      {"SMALL_BIG_EXT negative zero", <<131, 110, 1, 1, 0>>},
      {"LARGE_BIG_EXT 5", <<131, 111, 1::32, 0, 5>>},
      {"LIST_EXT of bytes", <<131, 108, 2::32, 97, 1, 97, 2, 106>>},
      {"LIST_EXT of bytes with an improper tail", <<131, 108, 2::32, 97, 1, 97, 2, 97, 3>>},
      {"LIST_EXT empty", <<131, 108, 0::32, 106>>},
      {"LIST_EXT with a list tail", <<131, 108, 1::32, 97, 1, 108, 1::32, 97, 2, 106>>},
      {"STRING_EXT empty", <<131, 107, 0::16>>},
      {"LARGE_TUPLE_EXT of 2", <<131, 105, 2::32, 97, 1, 97, 2>>},
      {"MAP_EXT keys out of order", <<131, 116, 2::32, 100, 1::16, "b", 97, 1, 100, 1::16, "a", 97, 2>>},
      {"MAP_EXT float and integer keys", <<131, 116, 2::32, 70, 1.0::float, 97, 1, 97, 1, 97, 2>>},
      {"BIT_BINARY_EXT of 8 bits", <<131, 77, 1::32, 8, 255>>},
      {"BIT_BINARY_EXT with stray low bits", <<131, 77, 1::32, 3, 255>>},
      {"BINARY_EXT empty", <<131, 109, 0::32>>},
      {"EXPORT_EXT with utf8 atoms", <<131, 113, 119, 5, "lists", 119, 3, "map", 97, 2>>},
      {"FLOAT_EXT", :erlang.term_to_binary(1.5, [{:minor_version, 0}])},
      {"NEW_FLOAT_EXT -0.0", <<131, 70, 0x80, 0, 0, 0, 0, 0, 0, 0>>},
      {"compressed, level 0", :erlang.term_to_binary(List.duplicate(:abc, 100), [{:compressed, 0}])},
      {"compressed small term", <<131, 80, 2::32>> <> :zlib.compress(<<97, 5>>)}
    ]
  end

  defp big_compressible(i) do
    {:payload, :binary.copy("abc", 100 + i), List.duplicate(:hello, 200), Enum.to_list(1..(50 + i)),
     List.duplicate({:ok, i, "x"}, 30)}
  end

  defp singles do
    me = self()
    spawned = spawn(fn -> :ok end)
    ref = make_ref()
    monitor_ref = Process.monitor(spawned)
    alias_ref = :erlang.alias()

    [
      {"self()", me},
      {"spawned pid", spawned},
      {"pid <0.0.0>", :c.pid(0, 0, 0)},
      {"pid <0.32767.8191>", :c.pid(0, 32767, 8191)},
      {"a live port", hd(Port.list())},
      {"port #Port<0.5>", :erlang.list_to_port(~c"#Port<0.5>")},
      {"{:tcp, port, data}", {:tcp, :erlang.list_to_port(~c"#Port<0.7>"), "data"}},
      {"make_ref()", ref},
      {"monitor ref", monitor_ref},
      {"alias()", alias_ref},
      {"{self(), make_ref()}", {me, make_ref()}},
      {"gen_call", {:"$gen_call", {me, make_ref()}, {:get, :key}}},
      {"empty tuple", {}},
      {"empty list", []},
      {"empty map", %{}},
      {"empty binary", ""},
      {"empty bitstring piece", <<0::1>>},
      {"bitstring 3 bits", <<5::3>>},
      {"bitstring 15 bits", <<0xABCD::15>>},
      {"bitstring 7 bits", <<127::7>>},
      {"true", true},
      {"false", false},
      {"nil", nil},
      {"undefined", :undefined},
      {"atom unicode", :"привет"},
      {"atom emoji", :"😀"},
      {"atom latin1", :"héllo"},
      {"atom latin1 ÿ", :"ÿ"},
      {"atom quoted", :"hello world"},
      {"atom empty", :""},
      {"atom 255 ascii", String.to_atom(String.duplicate("a", 255))},
      {"atom 255 unicode", String.to_atom(String.duplicate("é", 255))},
      {"atom 255 emoji", String.to_atom(String.duplicate("😀", 255))},
      {"atom Elixir alias", Foo.Bar},
      {"atom Elixir", Elixir},
      {"atom with quote", :"it's"},
      {"atom with dquote", :"say \"hi\""},
      {"atom with newline", :"a\nb"},
      {"atom operator", :+},
      {"atom ===", :===},
      {"atom keyword-like", :do},
      {"atom with @", :"foo@bar"},
      {"export fun lists:map/2", &:lists.map/2},
      {"export fun Enum.map/2", &Enum.map/2},
      {"export fun erlang:self/0", &:erlang.self/0},
      {"export fun odd names", :erlang.make_fun(:"my mod", :"my fun", 255)},
      {"keyword list", [a: 1, b: "two", c: [:three]]},
      {"charlist", ~c"hello"},
      {"unicode charlist", String.to_charlist("привет 😀")},
      {"latin1 charlist", [233, 255, 128]},
      {"improper list", [1, 2 | 3]},
      {"improper list binary tail", [1 | "tail"]},
      {"improper list atom tail", [:a, :b | :c]},
      {"nested empty", [[], {}, %{}, "", [[]]]},
      {"string 65535 bytes", List.duplicate(?a, 65535)},
      {"string 65536 bytes", List.duplicate(?a, 65536)},
      {"list of 300 small ints", Enum.to_list(0..299)},
      {"binary 1000 bytes", :binary.copy(<<0, 1, 2, 255>>, 250)},
      {"sub-binary", :binary.part(:binary.copy("abcdefgh", 20), 3, 100)},
      {"utf8 binary", "héllo wörld ✓ 😀"},
      {"invalid utf8 binary", <<0xC3, 0x28, 0xFF>>},
      {"binary with escapes", "tab\t nl\n cr\r esc\e nul\0 bell\a dq\" bs\\ \#{x}"},
      {"map atom keys", %{a: 1, b: 2, c: %{d: [1, 2]}}},
      {"map mixed keys", %{1 => :int, 1.0 => :float, "s" => :bin, :a => :atom, {1} => :tuple, [1] => :list}},
      {"map 32 keys", Map.new(1..32, &{&1, &1 * &1})},
      {"map quoted atom keys", %{"hello world": 1, "é": 2, "Elixir.Foo": 3, nil: 4, true: 5}},
      {"map with struct-like key", %{__struct__x: 1}},
      {"deep nesting", Enum.reduce(1..200, :leaf, fn i, acc -> {i, [acc]} end)}
    ] ++ integer_singles() ++ float_singles()
  end

  defp integer_singles do
    pow = fn n -> Integer.pow(2, n) end
    ints = [0, 1, -1, 255, 256, -256, 2_147_483_647, -2_147_483_648, 2_147_483_648, -2_147_483_649,
            134_217_727, 134_217_728, -134_217_728, -134_217_729, 576_460_752_303_423_487, 576_460_752_303_423_488,
            -576_460_752_303_423_488, -576_460_752_303_423_489,
            pow.(63) - 1, pow.(63), -pow.(63), -pow.(63) - 1, pow.(64) - 1, pow.(64), -pow.(64),
            pow.(2039), pow.(2040) - 1, pow.(2040), -pow.(2040), pow.(4000) + 12345, -pow.(4000) - 1,
            Enum.reduce(1..300, 1, &(&1 * &2))]
    for i <- ints, do: {"integer #{i}", i}
  end

  def float_singles do
    floats = [0.0, -0.0, 1.0, -1.0, 0.1, 0.5, 1.0e15, 1.0e16, 1.0e20, 1.0e21, 1.0e22, 1.0e-4, 1.0e-5,
              123_456_789.0, 3.14159, 5.0e-324, 2.2250738585072014e-308, 1.7976931348623157e308, -1.5e300,
              9_007_199_254_740_993.0, 1 / 3, 2 / 3, 100.0, 1.0e100]
    for f <- floats, do: {"float #{inspect(f)}", f}
  end

  # Random data of every kind Erlang makes, nested up to `depth`.
  def nested(depth) when depth <= 0, do: leaf()

  def nested(depth) do
    case :rand.uniform(10) do
      n when n <= 4 -> leaf()
      5 -> List.to_tuple(for _ <- 1..(:rand.uniform(6) - 1)//1, do: nested(depth - 1))
      6 -> for _ <- 1..(:rand.uniform(6) - 1)//1, do: nested(depth - 1)
      7 -> Map.new(1..(:rand.uniform(8) - 1)//1, fn _ -> {map_key(depth), nested(depth - 1)} end)
      8 -> improper(depth)
      9 -> for _ <- 1..:rand.uniform(5), do: {random_atom(), nested(depth - 1)}
      10 -> {:"$gen_call", {self(), make_ref()}, nested(depth - 1)}
    end
  end

  defp improper(depth) do
    tail = nested(depth - 1)
    tail = if is_list(tail), do: :tail, else: tail
    Enum.reduce(1..:rand.uniform(4), tail, fn _, acc -> [nested(depth - 1) | acc] end)
  end

  defp map_key(depth), do: if(:rand.uniform(2) == 1, do: random_atom(), else: nested(depth - 2))

  defp leaf do
    case :rand.uniform(16) do
      1 -> :rand.uniform(1000) - 500
      2 -> (:rand.uniform(1 <<< 62) - (1 <<< 61)) * (1 <<< :rand.uniform(70))
      3 -> :rand.uniform() * :math.pow(10, :rand.uniform(600) - 300) * (if :rand.uniform(2) == 1, do: 1, else: -1)
      4 -> (:rand.uniform(2_000_000) - 1_000_000) / 1000
      5 -> random_atom()
      6 -> random_bytes(:rand.uniform(40) - 1)
      7 -> random_utf8(:rand.uniform(12))
      8 -> <<:rand.uniform(255)::size(:rand.uniform(23))>>
      9 -> String.to_charlist(random_utf8(:rand.uniform(6)))
      10 -> for _ <- 1..:rand.uniform(20), do: :rand.uniform(256) - 1
      11 -> :c.pid(0, :rand.uniform(32768) - 1, :rand.uniform(8192) - 1)
      12 -> make_ref()
      13 -> Enum.random([&:lists.map/2, &Enum.reduce/3, &:erlang.self/0])
      14 -> Enum.random([true, false, nil, :ok, :error, [], {}, %{}, ""])
      15 -> :rand.uniform(1 <<< 64) * Enum.random([1, -1])
      16 -> self()
    end
  end

  defp random_bytes(n), do: :erlang.list_to_binary(for _ <- 1..n//1, do: :rand.uniform(256) - 1)

  @alphabet ~c"abzAZ_09?! @.\"'\\" ++ [?\n, 0xE9, 0xFF, 0x43F, 0x1F600, 0x2713]
  defp random_utf8(n), do: List.to_string(for _ <- 1..n//1, do: Enum.random(@alphabet))

  defp random_atom do
    if :rand.uniform(3) == 1 do
      Enum.random([:ok, :error, :hello, true, false, nil, :undefined, Foo, Foo.Bar, :"é", :"привет", :"😀", :+, :do])
    else
      String.to_atom(random_utf8(:rand.uniform(10) - 1))
    end
  end
end

case System.argv() do
  ["check", in_path, out_path] -> Oracle.check(in_path, out_path)
  ["generate", out_path] -> Oracle.generate(out_path)
  _ -> raise "usage: elixir oracle.exs check IN OUT | generate OUT"
end
