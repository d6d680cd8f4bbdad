{
  "targets": [
    {
      "target_name": "chatdds",
      "sources": [
        "src/native/chatdds.cc",
        "src/native/gen/Chat.cxx",
        "src/native/gen/ChatPubSubTypes.cxx"
      ],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")"
      ],
      "defines": ["NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti"],
      "cflags_cc": ["-std=c++17", "-O2", "-fexceptions", "-Wno-deprecated-declarations"],
      "libraries": ["-lfastrtps", "-lfastcdr"]
    }
  ]
}
